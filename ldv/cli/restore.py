"""ldv restore"""
from __future__ import annotations

import click

from ._app import App, pass_app, quiet_option


@click.command("restore")
@click.argument("paths", nargs=-1, required=True)
@click.option("-s", "--source", metavar="REV", help="Take the content from REV (default: the index; HEAD with --staged).")
@click.option("-S", "--staged", is_flag=True, help="Restore the index (unstage).")
@click.option("-W", "--worktree", is_flag=True, help="Restore the working tree (the default).")
@quiet_option
@pass_app
def command(app: App, paths, source, staged, worktree):
    """Restore PATHS in the working tree (default) and/or the index (--staged).

    `ldv restore FILE` discards unstaged changes; `ldv restore --staged FILE`
    unstages it; `--source REV` takes the content from a commit.
    """
    repo = app.repository()
    src = repo.resolve_commit(source) if source else None
    repo.workspace.restore(list(paths), source=src, staged=staged,
                           worktree=worktree or not staged)
