"""ldv clone URL [DIR] [--fingerprint FP] [--depth N] [-b B [--single-branch]] [--filter PATH] [--key-file F]"""
from __future__ import annotations

from pathlib import Path

import click

from ._app import App, out, pass_app, quiet_option


@click.command("clone")
@click.argument("url")
@click.argument("directory", required=False)
@click.option("--fingerprint", help="Pin the server's key (SHA256:... from init-tls; "
                                    "default: the one `ldv login` pinned).")
@click.option("--depth", type=click.IntRange(min=1), help="Only the newest N commits.")
@click.option("--branch", "-b", help="Check out this branch (default: main).")
@click.option("--single-branch", is_flag=True,
              help="Fetch only the branch checked out (and tags on its history), "
                   "now and on later fetches.")
@click.option("--filter", "filter_path", metavar="PATH",
              help="Partial clone: all history, file contents and checkout only under PATH.")
@click.option("--key-file", type=click.Path(exists=True, dir_okay=False),
              help="The repository's master key (else LDV_MASTER_KEY).")
@quiet_option
@pass_app
def command(app: App, url, directory, fingerprint, depth, branch, single_branch,
            filter_path, key_file):
    """Copy a remote repository: the keyring comes from the remote, the master key
    from --key-file or LDV_MASTER_KEY."""
    from ldv import keysource
    from ldv.plumbing.errors import MissingKey
    from ldv.plumbing.keys import read_key_file
    from ldv.plumbing.wire import parse_url
    from ldv.porcelain import sync
    from ._remote import fingerprint_for, token_for
    master = read_key_file(Path(key_file)) if key_file else keysource.key_from_env()
    if master is None:
        raise MissingKey("clone needs the repository's master key",
                         hint="pass --key-file or set LDV_MASTER_KEY")
    dest = app.cwd / (directory or parse_url(url).repo)
    fingerprint = fingerprint or fingerprint_for(url)     # pinned by `ldv login`
    repo = sync.clone(url, dest, master, token_for(url), fingerprint=fingerprint,
                      branch=branch, depth=depth, filter_path=filter_path,
                      single_branch=single_branch,
                      progress=app.progress())
    repo.close()
    if key_file:
        from ldv.plumbing.keys import write_key_file
        write_key_file(keysource.key_file_for(dest), master)
    out(f"Cloned {url} into {dest}")
