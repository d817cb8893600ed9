"""ldv fetch [REMOTE]"""
from __future__ import annotations

import click

from ._app import App, out, pass_app, quiet_option


@click.command("fetch")
@click.argument("remote", required=False)
@click.option("--depth", type=click.IntRange(min=1), help="Only the newest N commits of each branch.")
@click.option("--unshallow", is_flag=True, help="Fetch the history a shallow clone lacks.")
@quiet_option
@pass_app
def command(app: App, remote, depth, unshallow):
    """Download the remote's branches and tags into refs/remotes/REMOTE/*."""
    from ldv.porcelain import sync
    from ._remote import open_remote
    repo, name, client = open_remote(app, remote)
    with client:
        r = sync.fetch(repo, client, name, progress=app.progress(), depth=depth,
                       unshallow=unshallow)
    for ref, target in sorted(r.updated.items()):
        out(f"{target[:12]}  {ref}")
    app.say(f"fetched {r.packs} packs, {r.bytes_fetched} bytes")
