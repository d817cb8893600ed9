"""ldv status"""
from __future__ import annotations

import click

from ._app import App, out, pass_app


@click.command("status")
@click.option("-s", "--short", "short", is_flag=True, help="Two-letter codes, one line per path.")
@click.option("--porcelain", is_flag=True, help="Stable `git status --porcelain` (v1) output for scripts.")
@click.option("-b", "--branch", "show_branch", is_flag=True, help="Show the branch in short formats.")
@pass_app
def command(app: App, short, porcelain, show_branch):
    """Show what is staged, what changed but is not staged, and what is untracked.

    Unchanged files are recognised from their stat data (the index is a stat
    cache), so status does not read them.  (ldv/cli/fast.py answers the common
    forms of this command without loading click; a test keeps both the same.)
    """
    from .status_text import render
    render(app.repository().status(), out, short=short, porcelain=porcelain,
           show_branch=show_branch)
