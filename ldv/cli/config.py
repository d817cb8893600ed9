"""ldv config"""
from __future__ import annotations

import click

from ._app import App, out, pass_app


@click.group("config")
def command():
    """Get, set and list repository settings (stored encrypted in .ldv/config).

    \b
    Keys ldv reads:
      user.name    author/committer name for new commits
      user.email   author/committer email for new commits
    """


@command.command("get")
@click.argument("key")
@pass_app
def get(app: App, key):
    """Print KEY's value; exit 1 when it is not set."""
    value = app.repository().config_get(key)
    if value is None:
        return 1
    out(value)
    return 0


@command.command("set")
@click.argument("key")
@click.argument("value")
@pass_app
def set_(app: App, key, value):
    """Set KEY to VALUE."""
    app.repository().config_set(key, value)


@command.command("unset")
@click.argument("key")
@pass_app
def unset(app: App, key):
    """Remove KEY; exit 1 when it was not set."""
    from ldv.porcelain import config_ops
    return 0 if config_ops.unset(app.repository().plumbing, key) else 1


@command.command("list")
@pass_app
def list_(app: App):
    """Print every KEY=VALUE."""
    from ldv.porcelain import config_ops
    for k, v in config_ops.items(app.repository().plumbing):
        out(f"{k}={v}")
