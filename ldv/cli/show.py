"""ldv show"""
from __future__ import annotations

import sys

import click

from ._app import App, out, pass_app


@click.command("show")
@click.argument("rev", default="HEAD")
@click.option("--stat", is_flag=True, help="Show a diffstat instead of the patch.")
@click.option("--name-status", is_flag=True, help="Show changed paths with A/M/D/T.")
@click.option("--first-parent", is_flag=True,
              help="For a merge, show its changes against the first parent.")
@pass_app
def command(app: App, rev, stat, name_status, first_parent):
    """Show a commit (header and its changes), a tag, or a file at REV:PATH.

    `ldv show HEAD~2` shows that commit and its diff against its first parent;
    `ldv show main:data/train.jsonl` writes the file's bytes to stdout.
    """
    from ldv.plumbing.odb import ObjType
    from ldv.porcelain import inspect, revparse
    repo = app.repository()
    r = revparse.parse(repo.plumbing, rev)
    if r.type == ObjType.BLOB:
        sys.stdout.buffer.write(inspect.read_blob(repo.plumbing, r.oid))
        sys.stdout.flush()
        return
    if r.type == ObjType.TREE:
        out(f"tree {rev}\n")
        for line in inspect.ls_tree_oid(repo.plumbing, r.oid):
            out(line.path + ("/" if line.type == "tree" else ""))
        return
    if r.type == ObjType.TAG:
        out(inspect.pretty(repo.plumbing, rev).decode().rstrip("\n"))
        out()
    _show_commit(repo, revparse.peel_to_commit(repo.plumbing, r.oid, rev), stat, name_status,
                 first_parent)


def _show_commit(repo, oid, stat, name_status, first_parent=False) -> None:
    from ldv.plumbing.objects import read_commit
    from ldv.porcelain.diff import compare
    from ldv.porcelain.diff_sides import TreeSide

    from ._format import commit_header, decorations
    c = read_commit(repo.plumbing.odb, oid)
    out(commit_header(oid, c, decorations(repo.plumbing).get(oid)))
    if len(c.parents) > 1 and not first_parent:
        return      # as `git show` of a clean merge: no diff (--first-parent shows one)
    odb = repo.plumbing.odb
    # a shallow clone's boundary commit shows as if it were a root commit, as in Git
    parent = read_commit(odb, c.parents[0]).tree \
        if c.parents and odb.has(c.parents[0]) else None
    result = compare(TreeSide(repo.plumbing, parent), TreeSide(repo.plumbing, c.tree), [])
    if not result:
        return
    out()
    if stat:
        out(result.stat(), nl=False)
    elif name_status:
        out(result.name_status(), nl=False)
    else:
        out(result.patch(), nl=False)
