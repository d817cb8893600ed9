"""ldv push [REMOTE] [BRANCH] [--all] [--tags] [--force]"""
from __future__ import annotations

import click

from ._app import App, out, pass_app, quiet_option


@click.command("push")
@click.argument("remote", required=False)
@click.argument("branch", required=False)
@click.option("--all", "all_", is_flag=True, help="Push every branch.")
@click.option("--tags", is_flag=True,
              help="Push every tag (as git: plus BRANCH if named, or every branch with --all).")
@click.option("-f", "--force", is_flag=True, help="Allow a non-fast-forward update.")
@quiet_option
@pass_app
def command(app: App, remote, branch, all_, tags, force):
    """Send commits and their objects (encrypted) to a remote and move its branch.

    Exits 1 when the remote has commits you do not have (`ldv pull` first).  With
    --all or --tags every other ref is still pushed, as git does, and the refused
    ones are listed."""
    from ldv.plumbing.errors import NonFastForward
    from ldv.porcelain import sync
    from ._remote import open_remote
    repo, name, client = open_remote(app, remote)
    rejected: list[NonFastForward] = []
    with client:
        if all_ or tags:
            names = list(repo.refs.list("refs/heads/")) if all_ else \
                [branch] if branch else []
            names += list(repo.refs.list("refs/tags/")) if tags else []
        else:
            names = [branch or app.repository().head_branch or "main"]
        for ref in names:
            try:
                r = sync.push(repo, client, name, ref, force=force, progress=app.progress())
            except NonFastForward as e:
                if len(names) == 1:
                    raise
                rejected.append(e)
                out(f"{ref.split('/', 2)[-1]}: rejected (the remote has commits you do not have)")
                continue
            short = r.ref.split("/", 2)[-1]
            if r.up_to_date:
                app.say(f"{short}: up to date")
            else:
                old = r.old[:12] if r.old else "(new)"
                out(f"{old}..{r.new[:12]}  {short} -> {name}  "
                    f"({r.commits} commits, {r.packs} packs, {r.bytes_sent} bytes)")
    if rejected:
        raise NonFastForward(f"{len(rejected)} of {len(names)} refs rejected: "
                             + "; ".join(e.message for e in rejected),
                             hint=rejected[0].hint)
