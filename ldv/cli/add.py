"""ldv add"""
from __future__ import annotations

import click

from ._app import App, pass_app, quiet_option


@click.command("add")
@click.argument("paths", nargs=-1)
@click.option("-u", "--update", is_flag=True,
              help="Stage changes and deletions of tracked files only (no new files).")
@click.option("-A", "--all", "all_", is_flag=True,
              help="Stage everything: new, modified and deleted files (the default for a folder).")
@quiet_option
@pass_app
def command(app: App, paths, update, all_):
    """Stage the current contents of PATHS for the next commit.

    Writes each new or changed file's chunks (encrypted) to the object store and
    records it in the index.  Adding a folder (`ldv add .`) also stages the
    deletion of tracked files that are gone, as `git add` does.  Files matched
    by .ldvignore are skipped.
    """
    if not paths and not (update or all_):
        raise click.UsageError("nothing specified, nothing added (maybe you wanted `ldv add .`?)")
    repo = app.repository()
    repo.add(list(paths) or ["."], update_only=update)
