"""ldv mv"""
from __future__ import annotations

import click

from ._app import App, pass_app


@click.command("mv")
@click.argument("source")
@click.argument("destination")
@pass_app
def command(app: App, source, destination):
    """Move or rename a tracked file or folder, in the working tree and the index."""
    app.repository().mv(source, destination)
