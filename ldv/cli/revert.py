"""ldv revert"""
from __future__ import annotations

import click

from ._app import App, pass_app, quiet_option
from .cherry_pick import _run


@click.command("revert")
@click.argument("rev", required=False)
@click.option("--abort", "abort", is_flag=True, help="Give up a conflicted revert.")
@click.option("--continue", "cont", is_flag=True, help="Commit once conflicts are resolved.")
@quiet_option
@pass_app
def command(app: App, rev, abort, cont):
    """Make a new commit that undoes the change REV made.

    Conflicts stop with exit 1: resolve, `ldv add`, then `ldv revert --continue`,
    or `--abort`.
    """
    _run(app, "revert", rev, abort, cont)
