"""ldv ls-files"""
from __future__ import annotations

import click

from ._app import App, out, pass_app


@click.command("ls-files")
@click.option("-s", "--stage", is_flag=True, help="Show mode and id of each staged file.")
@pass_app
def command(app: App, stage):
    """List the files in the index (tracked files)."""
    from ldv.porcelain import inspect
    for line in inspect.ls_files(app.repository().workspace, stage=stage):
        out(line)
