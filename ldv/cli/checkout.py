"""ldv checkout"""
from __future__ import annotations

import click

from ._app import App, PathspecCommand, pass_app, pathspec, quiet_option


@click.command("checkout", cls=PathspecCommand)
@click.argument("target", required=False)
@click.option("-b", "new_branch", metavar="NAME", help="Create branch NAME at TARGET and switch to it.")
@click.option("-B", "reset_branch", metavar="NAME", help="Like -b, resetting NAME if it exists.")
@click.option("-f", "--force", is_flag=True, help="Throw away local changes that would be overwritten.")
@click.option("--ours", "side", flag_value="ours", help="For unmerged PATHS: check out our version.")
@click.option("--theirs", "side", flag_value="theirs", help="For unmerged PATHS: check out their version.")
@quiet_option
@pass_app
def command(app: App, target, new_branch, reset_branch, force, side):
    """Switch branches, detach at a commit, or restore files.

    \b
      ldv checkout BRANCH          switch to BRANCH
      ldv checkout REV             detach HEAD at REV
      ldv checkout -b NAME [REV]   create NAME and switch to it
      ldv checkout [REV] -- PATHS  restore PATHS from the index (or from REV)
      ldv checkout --ours|--theirs [--] PATHS   one side of unmerged PATHS
    """
    repo = app.repository()
    paths = pathspec()
    if side:
        from ldv.porcelain.mergeops import checkout_side
        paths = [target] * bool(target) + (paths or [])
        if not paths:
            raise click.UsageError(f"--{side} needs the unmerged paths to check out")
        checkout_side(repo.workspace, paths, side)
        return
    if paths is not None:
        if not paths:
            raise click.UsageError("no paths after --")
        source = repo.resolve_commit(target) if target else None
        repo.workspace.checkout_paths(paths, source=source)
        return
    if new_branch or reset_branch:
        name = new_branch or reset_branch
        if reset_branch:
            repo.create_branch(name, target or "HEAD", force=True)
            repo.switch(name, force=force)
        else:
            repo.switch(name, create=True, start=target, force=force)
        app.say(f"Switched to a new branch '{name}'")
        return
    if not target:
        raise click.UsageError("nothing to check out (give a branch, a revision or -- PATHS)")
    _checkout_target(app, repo, target, force)


def _checkout_target(app, repo, target, force) -> None:
    from ldv.plumbing.errors import BadRevision
    from ldv.porcelain.refs_ops import is_branch
    try:
        oid = repo.resolve_commit(target)
    except BadRevision:
        # Git's guess: a name that is no revision but a tracked path restores it.
        if target in repo.workspace.index or (repo.workspace.cwd / target).exists():
            repo.workspace.checkout_paths([target])
            return
        raise
    repo.checkout(target, force=force)
    if is_branch(repo.plumbing, target):
        app.say(f"Switched to branch '{target}'")
    else:
        app.say(f"HEAD is now at {oid.hex()[:7]} (detached)")
