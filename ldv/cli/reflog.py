"""ldv reflog"""
from __future__ import annotations

import click

from ._app import App, out, pass_app


@click.command("reflog")
@click.argument("ref", default="HEAD")
@click.option("-n", "--max-count", type=click.IntRange(min=0), help="Show at most N entries.")
@pass_app
def command(app: App, ref, max_count):
    """Show where REF (default HEAD) pointed before, newest first.

    Each line names an entry as REF@{N}, usable wherever a revision is: after
    `ldv reset --hard HEAD~3`, `ldv reset --hard HEAD@{1}` undoes it.  The
    reflog is stored encrypted; `ldv gc` keeps every commit it names.
    """
    from ldv.plumbing.errors import BadRevision
    from ldv.porcelain.revparse import full_ref_name
    repo = app.repository()
    full = full_ref_name(repo.plumbing, ref)
    if full is None:
        raise BadRevision(f"unknown ref {ref!r}", hint="see `ldv branch` and `ldv tag`")
    entries = [e for e in repo.plumbing.refs.reflog(full) if e.new is not None][::-1]
    for i, e in enumerate(entries[:max_count] if max_count is not None else entries):
        out(f"{e.new.hex()[:7]} {ref}@{{{i}}}: {e.message}")
