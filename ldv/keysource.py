"""Where the CLI and the Python API find a repository's master key.

Order: an explicit key passed by the caller; ``LDV_MASTER_KEY`` (64 hex
characters, for CI); ``LDV_PASSPHRASE`` (a passphrase-protected repository); the
key file ``$XDG_CONFIG_HOME/ldv/keys/<repo_id>.key`` (``~/.config`` by default)
that ``ldv init`` writes.  Only ldv/ reads the environment; plumbing receives
the key as a value.
"""
from __future__ import annotations

import os
from pathlib import Path

ENV_KEY = "LDV_MASTER_KEY"
ENV_PASSPHRASE = "LDV_PASSPHRASE"


def config_dir() -> Path:
    """ldv's per-user configuration folder (XDG base directory rules)."""
    base = os.environ.get("XDG_CONFIG_HOME") or os.path.join(os.path.expanduser("~"), ".config")
    return Path(base) / "ldv"


def key_from_env():
    """The master key given in the environment, or None."""
    from ldv.plumbing.keys import MasterKey
    text = os.environ.get(ENV_KEY)
    if text:
        from ldv.plumbing.errors import BadInput, MissingKey
        try:
            return MasterKey.from_hex(text.strip())
        except BadInput:
            raise MissingKey(f"{ENV_KEY} is not a master key",
                             hint="it must be 64 hex characters") from None
    phrase = os.environ.get(ENV_PASSPHRASE)
    if phrase:
        return MasterKey.from_passphrase(phrase)
    return None


def env_key_name() -> str | None:
    """Which environment variable supplies the key, if one does."""
    for name in (ENV_KEY, ENV_PASSPHRASE):
        if os.environ.get(name):
            return name
    return None


def key_file_for(root: Path) -> Path:
    """The default key file of the repository at ``root``."""
    from ldv.plumbing.keys import default_key_file
    from ldv.plumbing.repository import Repo
    return default_key_file(config_dir(), Repo.read_repo_id(Path(root)))


def resolve(root: Path, explicit=None):
    """The master key that opens the repository whose work tree is ``root``."""
    if explicit is not None:
        return _coerce(explicit)
    env = key_from_env()
    if env is not None:
        return env
    from ldv.plumbing.keys import read_key_file
    return read_key_file(key_file_for(root))


def for_init(explicit=None):
    """(key, source) for a new repository: explicit, from the environment, or new.

    ``source`` is "explicit", "env" or "generated"; only a generated key must be
    written to a key file.
    """
    if explicit is not None:
        return _coerce(explicit), "explicit"
    env = key_from_env()
    if env is not None:
        return env, "env"
    from ldv.plumbing.keys import MasterKey
    return MasterKey.generate(), "generated"


def _coerce(key):
    from ldv.plumbing.keys import MasterKey
    if isinstance(key, str):
        return MasterKey.from_hex(key)
    if isinstance(key, (bytes, bytearray)):
        return MasterKey(bytes(key))
    return key
