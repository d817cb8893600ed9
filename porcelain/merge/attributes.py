"""``.ldvattributes``: per-path merge settings, in gitattributes syntax.

    # pattern           attributes
    data/*.jsonl        merge=records key=id
    *.csv               merge=records key=user,day
    exports/**          merge=records format=parquet
    notes.md            merge=text
    blob.bin            -merge            # never merged line by line: binary

Rules (those of gitattributes): blank lines and ``#`` comments are ignored; an
attribute is ``name`` (set), ``-name`` (unset), ``!name`` (unspecified again) or
``name=value``; a pattern without ``/`` matches the file name at any depth, one with
``/`` matches the path relative to the directory of the ``.ldvattributes`` file
(``*`` and ``?`` stay within one path component, ``**`` spans any number); patterns
may not start with ``!``.  When several lines match, the later one wins per
attribute, and a deeper ``.ldvattributes`` wins over a shallower one.

Merge settings derived from the attributes (``merge_settings``):
``merge=text`` line merge; ``merge=binary`` or ``-merge`` whole-file conflict;
``merge=records`` record merge, ``key=a,b`` (composite key; default: whole-record
identity), ``format=jsonl|csv|parquet`` (default: from the extension).  Without a
``merge`` attribute, ``.jsonl``/``.ndjson``, ``.csv`` and ``.parquet`` files merge
by record without a key, everything else by line.
"""
from __future__ import annotations

import posixpath
import re
from dataclasses import dataclass

from ldv.plumbing.errors import BadFormat, BadInput
from ldv.plumbing.ignore import wildmatch_regex

from .base import FORMATS

UNSET = False
_EXTENSIONS = {".jsonl": "jsonl", ".ndjson": "jsonl", ".csv": "csv", ".parquet": "parquet"}
_DRIVERS = ("text", "binary", "records")
_ATTR_NAME = re.compile(r"[A-Za-z0-9_.-]+\Z")


@dataclass(frozen=True)
class Rule:
    regex: re.Pattern
    attrs: tuple[tuple[str, str | bool | None], ...]   # None: unspecified again


@dataclass(frozen=True)
class MergeSettings:
    driver: str                         # "text" | "binary" | "records"
    fmt: str | None = None              # for records
    key: tuple[str, ...] | None = None  # for records; None = whole-record identity


def compile_pattern(pattern: str, directory: str = "") -> re.Pattern:
    """A regex matching repository-relative paths for ``pattern`` from ``directory``."""
    if pattern.endswith("/"):
        # gitattributes: a directory pattern never matches a file.
        return re.compile(r"(?!)")
    prefix = (directory.strip("/") + "/") if directory.strip("/") else ""
    if "/" not in pattern:
        return re.compile(re.escape(prefix) + "(?:.*/)?" + wildmatch_regex(pattern) + r"\Z",
                          re.S)
    return re.compile(re.escape(prefix) + wildmatch_regex(pattern.lstrip("/")) + r"\Z", re.S)


def _parse_attr(token: str, where: str):
    if token.startswith("-"):
        name, value = token[1:], UNSET
    elif token.startswith("!"):
        name, value = token[1:], None
    elif "=" in token:
        name, value = token.split("=", 1)
    else:
        name, value = token, True
    if not _ATTR_NAME.match(name):
        raise BadInput(f"{where}: invalid attribute {token!r}",
                       hint="write name, -name, !name or name=value")
    return name, value


def parse(text: str, directory: str = "", source: str = ".ldvattributes") -> list[Rule]:
    """Parse one ``.ldvattributes`` file that lives in ``directory``."""
    rules = []
    for lineno, line in enumerate(text.splitlines(), 1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        where = f"{source}:{lineno}"
        pattern, *tokens = line.split()
        if pattern.startswith("!"):
            raise BadInput(f"{where}: negative patterns are not allowed",
                           hint="use -name or !name to unset an attribute instead")
        attrs = tuple(_parse_attr(t, where) for t in tokens if not t.startswith("#"))
        rules.append(Rule(compile_pattern(pattern, directory), attrs))
    return rules


class Attributes:
    """All rules of a work tree, shallowest file first, in file order."""

    def __init__(self, rules: list[Rule] | None = None):
        self.rules = list(rules or [])

    @classmethod
    def from_files(cls, files: dict[str, str]) -> "Attributes":
        """``files`` maps a directory ("" for the root) to its file's text."""
        ordered = sorted(files, key=lambda d: (d.strip("/").count("/") + bool(d.strip("/")), d))
        rules: list[Rule] = []
        for d in ordered:
            rules.extend(parse(files[d], d, posixpath.join(d, ".ldvattributes")))
        return cls(rules)

    def lookup(self, path: str) -> dict[str, str | bool]:
        """The attributes in force for ``path`` (relative, with ``/``)."""
        found: dict[str, str | bool | None] = {}
        for rule in self.rules:
            if rule.regex.match(path):
                found.update(rule.attrs)
        return {k: v for k, v in found.items() if v is not None}

    def merge_settings(self, path: str) -> MergeSettings:
        return merge_settings(path, self.lookup(path))


def merge_settings(path: str, attrs: dict[str, str | bool]) -> MergeSettings:
    """How to merge ``path`` given its attributes (see the module docstring)."""
    merge = attrs.get("merge", None)
    ext_fmt = _EXTENSIONS.get(posixpath.splitext(path)[1].lower())
    if merge is UNSET:
        return MergeSettings("binary")
    if merge is None or merge is True:
        merge = "records" if ext_fmt else "text"
    if merge not in _DRIVERS:
        raise BadInput(f"{path}: unknown merge driver {merge!r}",
                       hint="use merge=text, merge=binary or merge=records")
    if merge != "records":
        return MergeSettings(merge)
    fmt = attrs.get("format") or ext_fmt
    if fmt not in FORMATS:
        raise BadFormat(f"{path}: cannot tell the record format",
                        hint="add format=jsonl, format=csv or format=parquet")
    key = attrs.get("key")
    if key is True or key == "":
        raise BadInput(f"{path}: key needs field names", hint="write key=id or key=a,b")
    names = tuple(k.strip() for k in key.split(",")) if isinstance(key, str) else None
    if names and not all(names):
        raise BadInput(f"{path}: empty field name in key={key}", hint="write key=a,b")
    return MergeSettings("records", fmt, names)
