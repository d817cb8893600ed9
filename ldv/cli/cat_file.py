"""ldv cat-file"""
from __future__ import annotations

import sys

import click

from ._app import App, out, pass_app


@click.command("cat-file")
@click.option("-t", "mode", flag_value="type", help="Print the object's type.")
@click.option("-s", "mode", flag_value="size", help="Print the object's size (a file's length for blobs).")
@click.option("-p", "mode", flag_value="pretty", help="Pretty-print the object's content.")
@click.option("-e", "mode", flag_value="exists", help="Exit 0 if the object exists and is valid, 1 if not.")
@click.argument("object_")
@pass_app
def command(app: App, mode, object_):
    """Show the type, size or content of OBJECT (an id, a revision, or REV:PATH).

    Every object is decrypted and checked against its id on the way out.
    """
    from ldv.porcelain import inspect
    if mode is None:
        raise click.UsageError("one of -t, -s, -p or -e is required")
    repo = app.repository().plumbing
    if mode == "exists":
        from ldv.plumbing.errors import BadRevision, IntegrityError
        try:
            inspect.object_type(repo, object_)
        except (BadRevision, IntegrityError):
            return 1
        return 0
    if mode == "type":
        out(inspect.object_type(repo, object_))
    elif mode == "size":
        out(str(inspect.object_size(repo, object_)))
    else:
        sys.stdout.buffer.write(inspect.pretty(repo, object_))
        sys.stdout.flush()
