"""ldv gc"""
from __future__ import annotations

import click

from ._app import App, pass_app, quiet_option


@click.command("gc")
@quiet_option
@pass_app
def command(app: App):
    """Drop objects nothing refers to and repack the rest.

    Kept: everything reachable from branches, tags, HEAD, their reflogs and the
    index.  Repacking stores the newest version of each file whole and older
    versions as deltas against newer ones, so current data reads fastest.
    """
    report = app.repository().gc()
    s = report.repack
    app.say(f"kept {report.reachable} objects, dropped {report.dropped}; "
            f"packs {s.get('packs_before', '?')} -> {s.get('packs_after', '?')}, "
            f"bytes {s.get('bytes_before', 0):,} -> {s.get('bytes_after', 0):,}")
