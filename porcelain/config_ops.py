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
    "gc.auto": "0 turns off the automatic gc after commits (default 1)",
    "gc.autoDepth": "delta-chain depth at which a commit runs gc (default 8)",
    "core.untrackedCache": "true (default) or false: status skips reading directories "
                           "unchanged since it found them holding only tracked names; "
                           "turn off where directory mtimes do not change (some "
                           "network or FUSE file systems)",
}

# Keys whose values must be whole numbers >= the given minimum: checked when set,
# so a bad value is refused up front instead of failing after a later commit.
_INTEGERS = {"gc.auto": 0, "gc.autoDepth": 1}
_BOOLEANS = {"core.untrackedCache"}
_CHOICES = {"pii.on_commit": ("off", "warn", "block")}


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
    if key in _INTEGERS:
        low = _INTEGERS[key]
        if not value.strip().isdigit() or int(value) < low:
            raise BadInput(f"{key} must be a whole number >= {low}, not {value!r}",
                           hint=f"e.g. ldv config set {key} {max(low, 8 if low else 0)}")
    if key in _BOOLEANS and value not in ("true", "false"):
        raise BadInput(f"{key} must be true or false, not {value!r}",
                       hint=f"e.g. ldv config set {key} false")
    if key in _CHOICES and value.strip().lower() not in _CHOICES[key]:
        raise BadInput(f"{key} must be one of {', '.join(_CHOICES[key])}, not {value!r}",
                       hint=f"e.g. ldv config set {key} {_CHOICES[key][-1]}")
    if key == "pii.threshold":
        try:
            ok = 0.0 <= float(value) <= 1.0
        except ValueError:
            ok = False
        if not ok:
            raise BadInput(f"{key} must be a number from 0 to 1, not {value!r}",
                           hint=f"e.g. ldv config set {key} 0.5")
    repo.config.set(check_key(key), value)


def unset(repo, key: str) -> bool:
    return repo.config.unset(check_key(key))


def items(repo, prefix: str = "") -> list[tuple[str, str]]:
    return sorted(repo.config.items(prefix))
