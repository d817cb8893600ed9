"""ldv remote [-v] | remote add NAME URL [--fingerprint FP] | remote remove NAME"""
from __future__ import annotations

import click

from ._app import App, out, pass_app


@click.group("remote", invoke_without_command=True)
@click.option("-v", "--verbose", is_flag=True, help="Show URLs.")
@click.pass_context
def command(ctx, verbose):
    """List remotes, or add and remove them."""
    if ctx.invoked_subcommand is None:
        from ldv.porcelain import sync
        app = ctx.find_object(App)
        for r in sync.list_remotes(app.repository().plumbing):
            out(f"{r.name}\t{r.url}" if verbose else r.name)


@command.command("add")
@click.argument("name")
@click.argument("url")
@click.option("--fingerprint", help="Pin the server's key (SHA256:... from init-tls).")
@pass_app
def add(app: App, name, url, fingerprint):
    """Add a remote: https://HOST[:PORT]/REPO."""
    from ldv.porcelain import sync
    sync.add_remote(app.repository().plumbing, name, url, fingerprint)


@command.command("remove")
@click.argument("name")
@pass_app
def remove(app: App, name):
    """Remove a remote and its remote-tracking refs."""
    from ldv.porcelain import sync
    sync.remove_remote(app.repository().plumbing, name)
