"""Who is committing: the author and committer identity.

Order: the repository's ``user.name`` / ``user.email`` config; the environment
(``LDV_AUTHOR_NAME`` / ``LDV_AUTHOR_EMAIL``); Git's global config; a default
built from the login name.  Each field is resolved on its own, as Git does.
"""
from __future__ import annotations

import getpass
import os
import shutil
import socket
import subprocess


def resolve_identity(config=None):
    """Return an ``Identity`` for new commits."""
    from ldv.porcelain.worktree import Identity
    name = _first(config, "user.name", "LDV_AUTHOR_NAME")
    email = _first(config, "user.email", "LDV_AUTHOR_EMAIL")
    return Identity(name=name or _default_name(), email=email or _default_email())


def _first(config, key: str, env: str) -> str | None:
    if config is not None:
        value = config.get(key)
        if value:
            return value
    value = os.environ.get(env)
    if value:
        return value
    return _git_global(key)


def _git_global(key: str) -> str | None:
    git = shutil.which("git")
    if not git:
        return None
    try:
        out = subprocess.run([git, "config", "--global", "--get", key],
                             capture_output=True, text=True, timeout=5)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return out.stdout.strip() or None


def _default_name() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "ldv user"


def _default_email() -> str:
    return f"{_default_name()}@{socket.gethostname() or 'localhost'}"
