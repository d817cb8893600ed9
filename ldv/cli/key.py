"""ldv key"""
from __future__ import annotations

import click

from ._app import App, out, pass_app


@click.group("key")
def command():
    """Manage the repository's keys.

    The master key (key file or LDV_MASTER_KEY) opens an encrypted keyring of
    random keys.  Rotation never rewrites data: `rotate` starts a new data key
    for new objects; `rotate --master` rewraps the keyring under a new master key.
    """


@command.command("rotate")
@click.option("--master", "new_master", is_flag=True,
              help="Also replace the master key: write a new key file (the old one stops working).")
@pass_app
def rotate(app: App, new_master):
    """Start a new data key (and with --master, a new master key)."""
    from ldv.porcelain.maintenance import rotate_data_key
    repo = app.repository()
    key_id = rotate_data_key(repo.plumbing)
    out(f"new data key {key_id} in use for new objects")
    if new_master:
        _rotate_master(app, repo)


def _rotate_master(app, repo) -> None:
    import os

    from ldv import keysource
    from ldv.plumbing.keys import MasterKey, write_key_file
    from ldv.porcelain.maintenance import rewrap
    key = MasterKey.generate()
    path = keysource.key_file_for(repo.root)
    tmp = path.with_name(path.name + ".new")
    write_key_file(tmp, key)             # the new key is safe on disk before the switch
    rewrap(repo.plumbing, key)
    os.replace(tmp, path)
    out(f"master key replaced; the new key is in {path}")
    if os.environ.get(keysource.ENV_KEY):
        out(f"{keysource.ENV_KEY} still holds the old key: update it")
