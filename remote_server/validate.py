"""Validation of names and ids that arrive from the network.

Ref names follow git-check-ref-format's rules (no ``..``, no control characters,
no leading ``/``, no ``@{``, no component starting with ``.`` or ending ``.lock``),
so a name can never escape into a path or confuse a shell or a log.
"""
from __future__ import annotations

import re

from ldv.plumbing.errors import InvalidRefName

from .errors import ValidationFailed

_HEX = re.compile(r"[0-9a-f]{64}\Z")
_REPO = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,99}\Z")
_BAD_REF_CHARS = re.compile(r"[\x00-\x20\x7f~^:?*\[\\]")


def check_hex_id(text: str) -> str:
    if not isinstance(text, str) or not _HEX.match(text):
        raise ValidationFailed(f"not an id: {str(text)[:80]!r}", code="bad_id",
                               hint="ids are 64 lowercase hex characters")
    return text


def check_repo_name(name: str) -> str:
    if not isinstance(name, str) or not _REPO.match(name) or ".." in name:
        raise ValidationFailed(f"bad repository name {str(name)[:80]!r}", code="bad_repo_name",
                               hint="use letters, digits, '.', '_' and '-'")
    return name


def check_ref_name(name: str) -> str:
    """Raise InvalidRefName unless ``name`` is a safe ref or branch name."""
    why = _ref_problem(name) if isinstance(name, str) else "not a string"
    if why:
        raise InvalidRefName(f"bad ref name {str(name)[:80]!r}: {why}",
                             hint="see git check-ref-format")
    return name


def _ref_problem(name: str) -> str | None:
    if not name or len(name) > 255:
        return "empty or longer than 255 characters"
    if name.startswith("/") or name.endswith("/") or "//" in name:
        return "leading, trailing or doubled '/'"
    if ".." in name or "@{" in name or name == "@":
        return "contains '..' or '@{'"
    if _BAD_REF_CHARS.search(name):
        return "contains a control character, space or one of ~^:?*[\\"
    for part in name.split("/"):
        if part.startswith(".") or part.endswith(".lock") or part.endswith("."):
            return "a component starts with '.' or ends with '.' or '.lock'"
    return None
