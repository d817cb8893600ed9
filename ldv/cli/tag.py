"""ldv tag"""
from __future__ import annotations

import click

from ._app import App, out, pass_app


@click.command("tag")
@click.argument("name", required=False)
@click.argument("rev", required=False, default="HEAD")
@click.option("-a", "--annotate", is_flag=True, help="Make an annotated tag object (needs -m).")
@click.option("-m", "--message", help="The annotated tag's message (implies -a).")
@click.option("-d", "--delete", is_flag=True, help="Delete tag NAME.")
@click.option("-f", "--force", is_flag=True, help="Replace an existing tag.")
@click.option("-l", "--list", "list_", is_flag=True, help="List tags (the default without NAME).")
@pass_app
def command(app: App, name, rev, annotate, message, delete, force, list_):
    """List tags, create tag NAME at REV (default HEAD), or delete one (-d).

    A lightweight tag is a ref; `-a -m MSG` stores an encrypted tag object with
    a tagger and a message.
    """
    repo = app.repository()
    if list_ or not name:
        for t in repo.tags():
            out(t.name)
        return
    if delete:
        oid = repo.delete_tag(name)
        out(f"Deleted tag '{name}' (was {oid.hex()[:7]})")
        return
    if annotate and message is None:
        raise click.UsageError("an annotated tag needs a message: -m MSG")
    repo.create_tag(name, rev, message=message, force=force)
