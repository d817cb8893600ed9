"""ldv init [DIR]"""
from __future__ import annotations

import click

from ._app import App, out, pass_app, quiet_option


@click.command("init")
@click.argument("directory", required=False, default=".",
                type=click.Path(file_okay=False))
@quiet_option
@pass_app
def command(app: App, directory):
    """Create an empty repository in DIRECTORY (default: the current folder).

    Creates DIRECTORY/.ldv with a random repository id and an encrypted keyring.
    The master key comes from LDV_MASTER_KEY when set; otherwise a new one is
    generated and written (mode 0600) to $XDG_CONFIG_HOME/ldv/keys/<id>.key.
    Back that file up: without it the repository cannot be read.
    """
    from ldv.api import Repository
    target = (app.cwd / directory).resolve()
    repo, key_file = Repository.init(target)
    try:
        out(f"Initialized empty ldv repository in {repo.root / '.ldv'}")
        if key_file is not None:
            out(f"Master key written to {key_file}")
            out("Back it up now (copy it to a password manager or a safe place):"
                " without it nobody, you included, can read this repository.")
        else:
            from ldv.keysource import env_key_name
            out(f"Master key taken from {env_key_name() or 'the caller'}; no key file written.")
    finally:
        repo.close()
