""".ldvignore: Git's .gitignore rules, for the files ldv leaves alone.

Glossary (as in gitignore(5)):
  pattern list  the patterns of one .ldvignore file; they apply to paths below its
                directory (its *base*); within a list the last matching pattern wins
  negation      ``!pat`` re-includes what an earlier pattern excluded -- except below
                an excluded directory, which is never entered
  anchored      a pattern with a slash at its start or middle matches the path
                relative to the base; one without matches the name at any depth
  dir-only      a trailing slash matches directories only
Deeper .ldvignore files take precedence over shallower ones; ``.ldv/info/exclude``
and extra lines given by the caller come last (lowest precedence).
"""
from __future__ import annotations

import re
from pathlib import Path

IGNORE_FILE = ".ldvignore"


class Pattern:
    """One compiled line of an ignore file."""

    __slots__ = ("text", "negate", "dir_only", "anchored", "regex")

    def __init__(self, text: str, negate: bool, dir_only: bool, anchored: bool,
                 regex: re.Pattern):
        self.text = text
        self.negate = negate
        self.dir_only = dir_only
        self.anchored = anchored
        self.regex = regex

    def matches(self, relpath: str, name: str, is_dir: bool) -> bool:
        if self.dir_only and not is_dir:
            return False
        return bool(self.regex.match(relpath if self.anchored else name))


def parse_line(line: str) -> Pattern | None:
    """Compile one line; None for blanks and comments."""
    line = line.rstrip("\n").rstrip("\r")
    line = _strip_trailing_spaces(line)
    if not line or line.startswith("#"):
        return None
    negate = line.startswith("!")
    if negate:
        line = line[1:]
    dir_only = line.endswith("/")
    if dir_only:  # git drops exactly one trailing slash
        line = line[:-1]
    if not line:
        return None
    anchored = "/" in line
    body = line[1:] if line.startswith("/") else line
    if not body:
        return None
    return Pattern(line, negate, dir_only, anchored, re.compile(_translate(body), re.S))


def _strip_trailing_spaces(line: str) -> str:
    # As git's trim_trailing_spaces: a backslash-escaped space survives.
    last_space, i = None, 0
    while i < len(line):
        c = line[i]
        if c == " ":
            if last_space is None:
                last_space = i
        else:
            if c == "\\":
                i += 1
            last_space = None
        i += 1
    return line if last_space is None else line[:last_space]


def _translate(pat: str) -> str:
    """Wildmatch with WM_PATHNAME semantics as a regex matching the whole path."""
    return wildmatch_regex(pat) + r"\Z"


def wildmatch_regex(pat: str) -> str:
    """The regex body (unanchored at the end) of a git wildmatch pattern with
    WM_PATHNAME semantics, as .gitignore and .gitattributes both use."""
    out, i, n = [], 0, len(pat)
    while i < n:
        c = pat[i]
        if c == "*":
            j = i
            while j < n and pat[j] == "*":
                j += 1
            stars = j - i
            at_start = i == 0 or pat[i - 1] == "/"
            at_end = j == n or pat[j] == "/"
            if stars >= 2 and at_start and at_end:
                if j == n:              # trailing "**": everything below
                    out.append(".*")
                    i = j
                    continue
                out.append("(?:.*/)?")  # "**/": zero or more directories
                i = j + 1
                continue
            out.append("[^/]*")
            i = j
        elif c == "?":
            out.append("[^/]")
            i += 1
        elif c == "[":
            cls, i = _char_class(pat, i)
            out.append(cls)
        elif c == "\\" and i + 1 < n:
            out.append(re.escape(pat[i + 1]))
            i += 2
        else:
            out.append(re.escape(c))
            i += 1
    return "".join(out)


def _char_class(pat: str, i: int) -> tuple[str, int]:
    """Translate ``[...]`` at ``pat[i]``; a lone ``[`` is literal."""
    j = i + 1
    negate = j < len(pat) and pat[j] in "!^"
    if negate:
        j += 1
    start = j
    if j < len(pat) and pat[j] == "]":
        j += 1
    while j < len(pat) and pat[j] != "]":
        j += 2 if pat[j] == "\\" else 1
    if j >= len(pat):
        return re.escape("["), i + 1
    body = pat[start:j]
    parts, k = [], 0
    while k < len(body):
        ch = body[k]
        if ch == "\\" and k + 1 < len(body):
            parts.append(re.escape(body[k + 1]))
            k += 2
        elif body.startswith("[:", k) and ":]" in body[k:]:
            end = body.index(":]", k)
            parts.append(_POSIX_CLASSES.get(body[k + 2:end], ""))
            k = end + 2
        elif ch == "-" and parts and k + 1 < len(body):
            parts.append("-" + re.escape(body[k + 1]))
            k += 2
        else:
            parts.append(re.escape(ch))
            k += 1
    # a class never matches "/" under WM_PATHNAME
    return ("[^/" if negate else "(?!/)[") + "".join(parts) + "]", j + 1


_POSIX_CLASSES = {
    "alnum": "a-zA-Z0-9", "alpha": "a-zA-Z", "digit": "0-9", "lower": "a-z",
    "upper": "A-Z", "space": r"\s", "xdigit": "0-9a-fA-F", "punct": r"!-/:-@\[-`{-~",
    "blank": r" \t", "cntrl": r"\x00-\x1f", "print": r" -~", "graph": r"!-~",
}


class PatternList:
    """The patterns of one ignore file, relative to ``base`` ("" for the root)."""

    __slots__ = ("base", "patterns")

    def __init__(self, base: str, lines):
        self.base = base
        self.patterns = [p for p in map(parse_line, lines) if p is not None]

    def match(self, relpath: str, is_dir: bool) -> bool | None:
        """True (ignored), False (re-included) or None (no pattern matched)."""
        if self.base:
            if not relpath.startswith(self.base + "/"):
                return None
            relpath = relpath[len(self.base) + 1:]
        name = relpath.rsplit("/", 1)[-1]
        for p in reversed(self.patterns):
            if p.matches(relpath, name, is_dir):
                return not p.negate
        return None


class Ignore:
    """Answers "is this path ignored?" for one work tree, reading .ldvignore lazily."""

    def __init__(self, root: Path, extra_lines=()):
        self.root = Path(root)
        self._lists: dict[str, PatternList | None] = {}
        self._global = PatternList("", extra_lines)
        exclude = self.root / ".ldv" / "info" / "exclude"
        if exclude.is_file():
            self._global.patterns[:0] = PatternList("", _read_lines(exclude)).patterns

    def _list_for(self, dirpath: str) -> PatternList | None:
        if dirpath not in self._lists:
            f = self.root / dirpath / IGNORE_FILE if dirpath else self.root / IGNORE_FILE
            self._lists[dirpath] = PatternList(dirpath, _read_lines(f)) \
                if f.is_file() else None
        return self._lists[dirpath]

    def has_rules(self, dirpath: str) -> bool:
        """Could any pattern apply to entries of ``dirpath``?  (A fast path.)"""
        if self._global.patterns:
            return True
        parts = dirpath.split("/") if dirpath else []
        return any(self._list_for("/".join(parts[:k])) is not None
                   for k in range(len(parts) + 1))

    def excluded(self, relpath: str, is_dir: bool) -> bool:
        """Is ``relpath`` itself matched, assuming its parents are not excluded?"""
        parts = relpath.split("/")
        for depth in range(len(parts) - 1, -1, -1):
            plist = self._list_for("/".join(parts[:depth]))
            if plist is not None:
                verdict = plist.match(relpath, is_dir)
                if verdict is not None:
                    return verdict
        return bool(self._global.match(relpath, is_dir))

    def is_ignored(self, relpath: str, is_dir: bool = False) -> bool:
        """Is ``relpath`` ignored, itself or through an excluded parent directory?"""
        parts = relpath.split("/")
        for k in range(1, len(parts)):
            if self.excluded("/".join(parts[:k]), True):
                return True
        return self.excluded(relpath, is_dir)

    def reload(self, dirpath: str = "") -> None:
        """Forget cached lists (after an .ldvignore changed) under ``dirpath``."""
        for key in [k for k in self._lists if k == dirpath or k.startswith(dirpath)]:
            del self._lists[key]


def _read_lines(path: Path) -> list[str]:
    try:
        return path.read_text(encoding="utf-8", errors="surrogateescape").splitlines()
    except OSError:
        return []


__all__ = ["IGNORE_FILE", "Ignore", "Pattern", "PatternList", "parse_line"]
