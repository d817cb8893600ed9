"""ldv login URL [--fingerprint FP] [--token T]"""
from __future__ import annotations

import sys

import click

from ._app import App, out, pass_app


@click.command("login")
@click.argument("url")
@click.option("--fingerprint", help="Pin the server's key (SHA256:... from init-tls); "
                                    "clones and remotes of this server use it too.")
@click.option("--token", help="The token (else read from stdin without echo).")
@pass_app
def command(app: App, url, fingerprint, token):
    """Check a token against a server and store it (0600) for later commands."""
    from ldv.plumbing.wire import RemoteClient
    from ._remote import fingerprint_for, save_token
    fingerprint = fingerprint or fingerprint_for(url)     # a new token, same server
    if not token:
        stdin = sys.stdin
        # Piped in (`echo $TOKEN | ldv login URL`): read the line as it is; the
        # hidden prompt is for a terminal (getpass warns it cannot hide a pipe).
        token = click.prompt("token", hide_input=True) if stdin.isatty() \
            else stdin.readline()
    if not token.strip():
        from ldv.plumbing.errors import BadInput
        raise BadInput("no token given", hint="pass --token TOKEN, or type or pipe it in "
                       "(an admin makes one with `ldv-server token create`)")
    with RemoteClient(url, token.strip(), fingerprint=fingerprint) as client:
        client.list_refs()          # proves the token works for this repository
    out(f"token stored in {save_token(url, token.strip(), fingerprint)}")
