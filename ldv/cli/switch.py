"""ldv switch"""
from __future__ import annotations

import click

from ._app import App, pass_app, quiet_option


@click.command("switch")
@click.argument("branch")
@click.argument("start", required=False)
@click.option("-c", "--create", is_flag=True, help="Create BRANCH at START (default HEAD) and switch to it.")
@click.option("-C", "--force-create", is_flag=True, help="Like -c, resetting BRANCH if it exists.")
@click.option("-d", "--detach", is_flag=True, help="Detach HEAD at the commit BRANCH names.")
@click.option("-f", "--force", "--discard-changes", "force", is_flag=True,
              help="Throw away local changes that would be overwritten.")
@quiet_option
@pass_app
def command(app: App, branch, start, create, force_create, detach, force):
    """Switch the working tree and HEAD to BRANCH.

    Only files that differ between the two commits are rewritten.  Refuses, and
    changes nothing, when that would overwrite uncommitted changes (exit 3),
    unless --discard-changes.
    """
    repo = app.repository()
    if detach:
        repo.workspace.checkout_detached(repo.resolve_commit(branch), force=force)
        app.say(f"HEAD is now at {repo.resolve('HEAD').hex()[:7]}")
        return
    if start and not (create or force_create):
        raise click.UsageError("START is only allowed with -c/-C")
    if force_create:
        repo.create_branch(branch, start or "HEAD", force=True)
        create = False
    repo.switch(branch, create=create, start=start, force=force)
    app.say(f"Switched to a new branch '{branch}'" if create or force_create
            else f"Switched to branch '{branch}'")
