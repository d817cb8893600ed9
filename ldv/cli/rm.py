"""ldv rm"""
from __future__ import annotations

import click

from ._app import App, out, pass_app, quiet_option


@click.command("rm")
@click.argument("paths", nargs=-1, required=True)
@click.option("--cached", is_flag=True, help="Unstage only; keep the files on disk.")
@click.option("-r", "recursive", is_flag=True, help="Allow removing folders recursively.")
@click.option("-f", "--force", is_flag=True, help="Remove even files with staged or unstaged changes.")
@quiet_option
@pass_app
def command(app: App, paths, cached, recursive, force):
    """Remove PATHS from the index and (without --cached) from the working tree.

    Refuses to remove a file whose content differs from HEAD or the index unless
    -f is given, so that no uncommitted work is lost.
    """
    removed = app.repository().rm(list(paths), cached=cached, recursive=recursive, force=force)
    if not app.quiet:
        for p in removed:
            out(f"rm '{p}'")
