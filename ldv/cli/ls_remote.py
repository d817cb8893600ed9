"""ldv ls-remote [REMOTE]"""
from __future__ import annotations

import click

from ._app import App, out, pass_app


@click.command("ls-remote")
@click.argument("remote", required=False)
@pass_app
def command(app: App, remote):
    """List the remote's refs (each checked against its seal)."""
    from ldv.porcelain import sync
    from ._remote import open_remote
    repo, name, client = open_remote(app, remote)
    with client:
        for ref_name, (ref, _counter) in sorted(sync.verified_refs(repo, client, name).items()):
            out(f"{ref.target}\t{ref_name}")
