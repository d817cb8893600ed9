"""ldv pull [REMOTE [BRANCH]]"""
from __future__ import annotations

import click

from ._app import App, out, pass_app, quiet_option


@click.command("pull")
@click.argument("remote", required=False)
@click.argument("branch", required=False)
@quiet_option
@pass_app
def command(app: App, remote, branch):
    """Fetch, then fast-forward the current branch, or merge a diverged one
    (conflicts stop with exit 1, as `ldv merge` does)."""
    from ldv.porcelain import sync
    from ._remote import open_remote
    repo, name, client = open_remote(app, remote)
    with client:
        from ._mergeout import identity, run_merge_like
        out(run_merge_like(lambda: sync.pull(
            repo, client, name, branch, progress=app.progress(),
            author=identity(app.repository()),
            warn=lambda line: click.echo(f"warning: {line}", err=True))))
