"""Repository configuration: ``ldv config get|set|unset|list``.

Keys are ``section.name`` (lowercase letters, digits, ``-``; a middle part like
``remote.origin.url`` allowed).  Values are stored encrypted (plumbing/config.py).
"""
from __future__ import annotations

import re

from ldv.plumbing.errors import BadInput

_KEY = re.compile(r"[a-z][a-z0-9-]*(\.[^\s.][^\s]*)?\.[a-zA-Z][a-zA-Z0-9_-]*\Z")

# Keys ldv itself reads, with what they mean (for `ldv config --help`).
KNOWN = {
    "user.name": "author and committer name for new commits",
    "user.email": "author and committer email for new commits",
    "pii.on_commit": "PII gate at commit: off (default), warn or block (docs/PII.md)",
    "pii.threshold": "minimum presidio score of a PII finding (default 0.4)",
    "pii.entities": "comma-separated entity types the PII gate checks (default: all)",
}


def check_key(key: str) -> str:
    if not _KEY.match(key):
        raise BadInput(f"invalid config key {key!r}",
                       hint="keys look like section.name, e.g. user.name")
    return key


def get(repo, key: str) -> str | None:
    return repo.config.get(check_key(key))


def set_(repo, key: str, value: str) -> None:
    if "\n" in value or "\0" in value:
        raise BadInput(f"the value for {key} contains a newline or NUL",
                       hint="config values are single lines")
    repo.config.set(check_key(key), value)


def unset(repo, key: str) -> bool:
    return repo.config.unset(check_key(key))


def items(repo, prefix: str = "") -> list[tuple[str, str]]:
    return sorted(repo.config.items(prefix))
