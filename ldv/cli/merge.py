"""ldv merge"""
from __future__ import annotations

import click

from ._app import App, out, pass_app, quiet_option
from ._mergeout import identity, run_merge_like, warn_pii


@click.command("merge")
@click.argument("rev", required=False)
@click.option("-m", "--message", help="The merge commit's message.")
@click.option("--no-ff", "no_ff", is_flag=True, help="Make a merge commit even when a fast-forward is possible.")
@click.option("--ff-only", "ff_only", is_flag=True, help="Refuse (exit 1) unless a fast-forward is possible.")
@click.option("--abort", "abort", is_flag=True, help="Give up a conflicted merge; put back HEAD's files.")
@click.option("--continue", "cont", is_flag=True, help="Commit a merge whose conflicts are resolved.")
@quiet_option
@pass_app
def command(app: App, rev, message, no_ff, ff_only, abort, cont):
    """Join the history of REV (a branch or any revision) into the current branch.

    Fast-forwards when HEAD is an ancestor of REV; otherwise merges three-way
    against the merge base (text by line, JSONL/CSV/Parquet by record as
    .ldvattributes configures) and commits with two parents.  On conflicts it
    stops with exit 1: fix the files, `ldv add` them, then `ldv merge
    --continue` (or `ldv commit`), or `ldv merge --abort`.
    """
    from ldv.porcelain import mergeops
    if sum(map(bool, (abort, cont))) + (rev is not None and (abort or cont)) > 1:
        raise click.UsageError("--abort, --continue and REV exclude each other")
    if no_ff and ff_only:
        raise click.UsageError("--no-ff and --ff-only exclude each other")
    repo = app.repository()
    ws = repo.workspace
    if abort:
        mergeops.abort(ws)
        return
    if cont:
        oid = mergeops.continue_(ws, author=identity(repo))
        warn_pii(ws)
        app.say(f"[{ws.head_branch() or 'detached HEAD'} {oid.hex()[:7]}] merge committed")
        return
    if rev is None:
        raise click.UsageError("name a branch or revision to merge")
    theirs = repo.resolve_commit(rev)
    ff = "no" if no_ff else "only" if ff_only else "auto"
    res = run_merge_like(lambda: mergeops.merge(ws, theirs, rev, message=message, ff=ff,
                                                author=identity(repo)))
    warn_pii(ws)
    if res.kind == "up-to-date":
        out("Already up to date.")
    elif res.kind == "fast-forward":
        old = res.old.hex()[:7] if res.old else "0000000"
        out(f"Updating {old}..{res.new.hex()[:7]}")
        out("Fast-forward")
    else:
        for line in mergeops.describe(res):
            out(line)
        out("Merge made by the three-way strategy"
            + (f" (virtual base from {res.bases} merge bases)." if res.bases > 1 else "."))
