"""ldv log"""
from __future__ import annotations

import click

from ._app import App, PathspecCommand, out, pass_app, pathspec


@click.command("log", cls=PathspecCommand)
@click.argument("revs", nargs=-1)
@click.option("--oneline", is_flag=True, help="One line per commit: short id and subject.")
@click.option("--graph", is_flag=True, help="Draw the commit graph on the left.")
@click.option("-n", "--max-count", type=click.IntRange(min=0), help="Show at most N commits.")
@click.option("--first-parent", is_flag=True, help="Follow only the first parent of merges.")
@click.option("--all", "all_refs", is_flag=True, help="Start from every branch, tag and remote ref.")
@click.option("--format", "--pretty", "fmt", default="text", metavar="text|json|FORMAT",
              help="json: one object per commit; or a Git format string with "
                   "%H %h %T %P %p %an %ae %at %ad %cn %ce %ct %s %b %n %%.")
@click.option("-p", "--patch", "patch", is_flag=True, help="Show each commit's changes as a patch.")
@click.option("--stat", is_flag=True, help="Show a diffstat per commit.")
@click.option("--name-status", is_flag=True, help="Show changed paths per commit.")
@pass_app
def command(app: App, revs, oneline, graph, max_count, first_parent, all_refs, fmt, patch,
            stat, name_status):
    """Show the commits reachable from REVS (default HEAD), newest first.

    `ldv log -- PATHS` (or PATHS that are not revisions) shows only commits that
    changed those paths.
    """
    repo = app.repository()
    revs, paths = _split(repo, list(revs), pathspec())
    if all_refs:
        revs += _all_refs(repo)
    # streamed: the commits before a damaged one are printed before its error
    entries = repo.iter_log(revs or "HEAD", max_count=None if graph else max_count,
                            paths=paths, first_parent=first_parent)
    if graph:   # as in Git, --graph implies --topo-order
        from ldv.porcelain.log import topo_order
        entries = topo_order(list(entries))[:max_count]
    if fmt == "json":
        _json(entries)
        return
    pattern = None
    if fmt != "text":
        pattern = fmt.removeprefix("format:").removeprefix("tformat:")
        if not graph:
            from ._format import pretty
            for e in entries:
                out(pretty(pattern, e.oid, e.commit))
            return
    from ._format import decorations
    changes = None
    if patch or stat or name_status:
        kind = "stat" if stat else "name_status" if name_status else "patch"
        changes = lambda e: _changes(repo, e, kind, paths)  # noqa: E731
    _text(entries, decorations(repo.plumbing), oneline, graph, changes, pattern)


def _changes(repo, entry, kind: str, paths) -> str:
    """The commit's changes against its first parent, rendered as ``kind``."""
    from ldv.plumbing.objects import read_commit
    from ldv.porcelain.diff import compare
    from ldv.porcelain.diff_sides import TreeSide
    if len(entry.parents) > 1:
        return ""       # as `git log -p`: merges show no diff by default
    r = repo.plumbing
    # a shallow clone's boundary commit shows as if it were a root commit, as in Git
    parent = read_commit(r.odb, entry.parents[0]).tree \
        if entry.parents and r.odb.has(entry.parents[0]) else None
    result = compare(TreeSide(r, parent), TreeSide(r, entry.commit.tree), paths)
    if kind == "stat":
        return result.stat()
    if kind == "name_status":
        return result.name_status()
    return result.patch()


def _all_refs(repo) -> list[str]:
    from ldv.plumbing.odb import ObjType
    from ldv.porcelain.revparse import object_type
    r = repo.plumbing
    names = ["HEAD"] if r.refs.read("HEAD") is not None else []
    # tags may name trees or files; only commit-ish refs start a walk
    return names + [n for n, oid in r.refs.list("refs/").items()
                    if object_type(r, oid) in (ObjType.COMMIT, ObjType.TAG)]


def _split(repo, args, paths):
    """Git's guess: without `--`, trailing args that are not revisions are paths."""
    if paths is not None:
        return args, paths
    from ldv.plumbing.errors import BadRevision
    revs, rest = [], []
    for a in args:
        if rest:
            rest.append(a)
            continue
        try:
            repo.resolve_commit(a)
            revs.append(a)
        except BadRevision:
            if not (repo.workspace.cwd / a).exists():
                raise
            rest.append(a)
    return revs, rest


def _text(entries, deco, oneline, graph, changes=None, pattern=None) -> None:
    from ldv.porcelain.log import Graph

    from ._format import commit_header
    from ._format import oneline as one
    g = Graph() if graph else None
    for i, e in enumerate(entries):
        if pattern is not None:
            from ._format import pretty
            body = pretty(pattern, e.oid, e.commit)
        else:
            body = one(e.oid, e.commit, deco.get(e.oid)) if oneline else \
                commit_header(e.oid, e.commit, deco.get(e.oid))
        extra = changes(e) if changes else ""
        if g is None:
            if not oneline and i:
                out()
            out(body)
            if extra:
                out("" if oneline else "\n", nl=False)
                out(extra, nl=False)
            continue
        before, row, after = g.lines(e.oid, e.parents)
        for b in before:
            out(b)
        lines = body.split("\n")
        out(row + lines[0])
        rest = lines[1:] + ([""] if not (oneline or pattern is not None) else [])
        rest += extra.splitlines() if extra else []
        # As Git does, the rows drawn below a commit (a merge's "|\\", a collapse)
        # prefix its next text lines; then every lane after it continues as "|".
        cont = " ".join("|" * len(g.lanes)).ljust(len(row))
        for i, ln in enumerate(rest):
            prefix = after[i] if i < len(after) else cont
            out(prefix.ljust(len(cont)) + ln)
        for a in after[len(rest):]:
            out(a)


def _json(entries) -> None:
    import json
    for e in entries:
        c = e.commit
        out(json.dumps({"id": e.oid.hex(), "parents": [p.hex() for p in c.parents],
                        "tree": c.tree.hex(), "author": c.author, "author_time": c.author_time,
                        "author_tz": c.author_tz, "committer": c.committer,
                        "commit_time": c.commit_time, "message": c.message,
                        "lineage": c.lineage}))
