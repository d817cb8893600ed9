"""Rendering shared by merge, cherry-pick, revert and pull: Git's lines."""
from __future__ import annotations

from ._app import out


def run_merge_like(call):
    """Run a merge-like porcelain call; on conflicts print Git's CONFLICT lines
    (stdout) before the error propagates (one stderr line, exit 1)."""
    from ldv.plumbing.errors import MergeConflict
    from ldv.porcelain.mergeops import describe
    try:
        return call()
    except MergeConflict as e:
        if e.outcome is not None:
            for line in describe(e.outcome):
                out(line)
        raise


def identity(repo):
    from ldv.identity import resolve_identity
    return resolve_identity(repo.plumbing.config)


def warn_pii(ws) -> None:
    """The PII gate's findings in warn mode (pii.on_commit = warn), as commit prints them."""
    import click
    for line in getattr(ws, "pii_warnings", None) or ():
        click.echo(f"warning: {line}", err=True)
