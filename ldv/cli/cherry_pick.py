"""ldv cherry-pick"""
from __future__ import annotations

import click

from ._app import App, out, pass_app, quiet_option
from ._mergeout import identity, run_merge_like, warn_pii


@click.command("cherry-pick")
@click.argument("rev", required=False)
@click.option("--abort", "abort", is_flag=True, help="Give up a conflicted cherry-pick.")
@click.option("--continue", "cont", is_flag=True, help="Commit once conflicts are resolved.")
@quiet_option
@pass_app
def command(app: App, rev, abort, cont):
    """Apply the change REV made on top of HEAD as a new commit (REV's author kept).

    Conflicts stop with exit 1 as `ldv merge` does: resolve, `ldv add`, then
    `ldv cherry-pick --continue`, or `--abort`.
    """
    _run(app, "cherry-pick", rev, abort, cont)


def _run(app, kind, rev, abort, cont):
    from ldv.porcelain import cherrypick, mergeops
    repo = app.repository()
    ws = repo.workspace
    if abort or cont:
        if rev is not None or (abort and cont):
            raise click.UsageError("--abort, --continue and REV exclude each other")
        if abort:
            mergeops.abort(ws)
        else:
            oid = mergeops.continue_(ws, author=identity(repo))
            warn_pii(ws)
            app.say(f"[{ws.head_branch() or 'detached HEAD'} {oid.hex()[:7]}] {kind} committed")
        return
    if rev is None:
        raise click.UsageError(f"name the commit to {kind}")
    oid = repo.resolve_commit(rev)
    fn = cherrypick.cherry_pick if kind == "cherry-pick" else cherrypick.revert
    res = run_merge_like(lambda: fn(ws, oid, author=identity(repo)))
    warn_pii(ws)
    for line in mergeops.describe(res):
        out(line)
    from ldv.plumbing.objects import read_commit
    c = read_commit(repo.plumbing.odb, res.new)
    out(f"[{ws.head_branch() or 'detached HEAD'} {res.new.hex()[:7]}] "
        f"{c.message.splitlines()[0] if c.message else ''}")


