"""ldv rev-parse"""
from __future__ import annotations

import click

from ._app import App, out, pass_app


@click.command("rev-parse")
@click.argument("revs", nargs=-1)
@click.option("--short", is_flag=True, help="Abbreviate ids to 7 characters.")
@click.option("--abbrev-ref", is_flag=True, help="Print the branch name a ref points to (e.g. HEAD).")
@click.option("--verify", is_flag=True, help="Exactly one revision that must name an object.")
@click.option("--show-toplevel", is_flag=True, help="Print the work tree's root folder.")
@pass_app
def command(app: App, revs, short, abbrev_ref, verify, show_toplevel):
    """Resolve revisions to full object ids.

    Revisions: HEAD, HEAD~N, HEAD^N, branch and tag names, hex prefixes of 4+
    characters, REF@{N} (from the reflog), REV:PATH (the id of a file or folder
    at REV), REV^{tree}.
    """
    repo = app.repository()
    if show_toplevel:
        out(str(repo.root))
    if verify and len(revs) != 1:
        raise click.UsageError("--verify takes exactly one revision")
    for rev in revs:
        if abbrev_ref:
            out(_abbrev(repo, rev))
            continue
        oid = repo.resolve(rev)
        out(oid.hex()[:7] if short else oid.hex())


def _abbrev(repo, rev: str) -> str:
    from ldv.porcelain.refs_ops import current_branch
    if rev in ("HEAD", "@"):
        return current_branch(repo.plumbing) or "HEAD"
    for prefix in ("refs/heads/", "refs/tags/", "refs/remotes/"):
        if repo.plumbing.refs.read(prefix + rev) is not None:
            return rev
    repo.resolve(rev)
    return rev
