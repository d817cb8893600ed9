"""ldv branch"""
from __future__ import annotations

import click

from ._app import App, out, pass_app


@click.command("branch")
@click.argument("names", nargs=-1)
@click.option("-d", "--delete", "delete", is_flag=True, help="Delete a branch (must be merged into HEAD).")
@click.option("-D", "force_delete", is_flag=True, help="Delete a branch even if not merged.")
@click.option("-m", "--move", "move", is_flag=True, help="Rename a branch: -m [OLD] NEW.")
@click.option("-M", "force_move", is_flag=True, help="Rename, overwriting NEW if it exists.")
@click.option("-f", "--force", is_flag=True, help="Move an existing branch to START.")
@click.option("-v", "--verbose", is_flag=True, help="Show each branch's id and subject.")
@click.option("--show-current", is_flag=True, help="Print the current branch's name.")
@pass_app
def command(app: App, names, delete, force_delete, move, force_move, force, verbose, show_current):
    """List branches; create NAME [START]; delete (-d/-D) or rename (-m/-M).

    \b
      ldv branch                 list (the current one marked *)
      ldv branch NAME [START]    create NAME at START (default HEAD)
      ldv branch -d NAME         delete (-D: even if not merged)
      ldv branch -m [OLD] NEW    rename (default OLD: the current branch)
    """
    repo = app.repository()
    if show_current:
        out(repo.head_branch or "")
    elif delete or force_delete:
        if not names:
            raise click.UsageError("branch name required")
        for n in names:
            oid = repo.delete_branch(n, force=force_delete)
            out(f"Deleted branch {n} (was {oid.hex()[:7]}).")
    elif move or force_move:
        if len(names) not in (1, 2):
            raise click.UsageError("usage: ldv branch -m [OLD] NEW")
        old, new = (names if len(names) == 2 else (repo.head_branch, names[0]))
        if old is None:
            raise click.UsageError("HEAD is detached: name the branch to rename")
        repo.rename_branch(old, new, force=force_move)
    elif names:
        if len(names) > 2:
            raise click.UsageError("usage: ldv branch NAME [START]")
        repo.create_branch(names[0], names[1] if len(names) == 2 else "HEAD", force=force)
    else:
        _list(repo, verbose)


def _list(repo, verbose: bool) -> None:
    from ldv.plumbing.objects import read_commit
    r = repo.plumbing
    branches = repo.branches()
    width = max((len(b.name) for b in branches), default=0)
    if repo.head_branch is None and r.refs.read("HEAD") is not None:
        out(f"* (HEAD detached at {r.refs.read('HEAD').hex()[:7]})")
    for b in branches:
        mark = "*" if b.current else " "
        if verbose:
            subject = read_commit(r.odb, b.oid).message.split("\n", 1)[0]
            out(f"{mark} {b.name:<{width}} {b.oid.hex()[:7]} {subject}")
        else:
            out(f"{mark} {b.name}")
