"""What the sync commands share: tokens (LDV_TOKEN or `ldv login`) and connecting.

Tokens saved by `ldv login` live in $XDG_CONFIG_HOME/ldv/credentials.json (0600),
keyed by the server's scheme://host:port, so one login serves every repository
on that server; so does the key fingerprint it was given, for remotes and
clones that pin none themselves.
"""
from __future__ import annotations

import json
import os

ENV_TOKEN = "LDV_TOKEN"


def _credentials_path():
    from ldv.keysource import config_dir
    return config_dir() / "credentials.json"


def _server_of(url: str) -> str:
    from ldv.plumbing.wire import parse_url
    return parse_url(url).base


def token_for(url: str) -> str | None:
    """LDV_TOKEN, else the token `ldv login` saved for this server."""
    if os.environ.get(ENV_TOKEN):
        return os.environ[ENV_TOKEN].strip()
    try:
        saved = json.loads(_credentials_path().read_text())
    except (FileNotFoundError, ValueError):
        return None
    return saved.get(_server_of(url), {}).get("token")


def fingerprint_for(url: str) -> str | None:
    """The key fingerprint `ldv login --fingerprint` pinned for this server."""
    try:
        saved = json.loads(_credentials_path().read_text())
    except (FileNotFoundError, ValueError):
        return None
    return saved.get(_server_of(url), {}).get("fingerprint")


def save_token(url: str, token: str, fingerprint: str | None) -> str:
    """Remember ``token`` for the server of ``url``; return the file written."""
    path = _credentials_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        saved = json.loads(path.read_text())
    except (FileNotFoundError, ValueError):
        saved = {}
    saved[_server_of(url)] = {"token": token, "fingerprint": fingerprint}
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        json.dump(saved, f, indent=1)
    os.chmod(path, 0o600)
    return str(path)


def open_remote(app, name: str | None):
    """(plumbing Repo, remote name, connected client) for a command run in a repository."""
    from ldv.porcelain import sync
    repo = app.repository().plumbing
    remotes = sync.list_remotes(repo)
    if name is None:
        name = "origin" if any(r.name == "origin" for r in remotes) else \
            (remotes[0].name if remotes else "origin")
    remote = sync.get_remote(repo, name)
    if not remote.fingerprint:          # the pin `ldv login` stored for this server
        import dataclasses
        remote = dataclasses.replace(remote, fingerprint=fingerprint_for(remote.url))
    return repo, name, sync.connect(remote, token_for(remote.url), progress=app.progress())
