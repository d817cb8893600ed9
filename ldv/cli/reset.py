"""ldv reset"""
from __future__ import annotations

import click

from ._app import App, PathspecCommand, pass_app, pathspec, quiet_option


@click.command("reset", cls=PathspecCommand)
@click.argument("rev", required=False, default="HEAD")
@click.option("--soft", "mode", flag_value="soft", help="Move the branch only.")
@click.option("--mixed", "mode", flag_value="mixed", default=True, help="Move the branch and reset the index (default).")
@click.option("--hard", "mode", flag_value="hard", help="Move the branch, reset the index and the working tree.")
@quiet_option
@pass_app
def command(app: App, rev, mode):
    """Move the current branch to REV (default HEAD).

    --soft keeps index and files, --mixed resets the index, --hard also the
    files (uncommitted changes are lost).  `ldv reset [REV] -- PATHS` unstages
    PATHS (sets their index entries to REV's).
    """
    repo = app.repository()
    paths = pathspec()
    if paths:
        repo.workspace.restore(paths, source=repo.resolve_commit(rev), staged=True,
                               worktree=False)
        return
    repo.reset(rev, mode=mode)
    if mode == "hard":
        from ldv.plumbing.objects import read_commit
        oid = repo.resolve_commit("HEAD")
        subject = read_commit(repo.plumbing.odb, oid).message.split("\n", 1)[0]
        app.say(f"HEAD is now at {oid.hex()[:7]} {subject}")
