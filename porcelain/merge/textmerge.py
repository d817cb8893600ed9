"""Three-way line merge with Git's semantics (``git merge-file``).

Both sides are diffed against the base (see linediff); changes that neither overlap
nor touch are taken from their side; overlapping or adjacent changes conflict unless
they are identical.  As Git does at its default merge-file level ("zealous alnum"),
a conflict is then narrowed to the lines where the two sides really differ, and
conflicts separated by at most three lines, or by lines without a letter or digit,
are joined into one.  With ``diff3=True`` the base section is shown and no
narrowing happens (Git's rule too).

Binary input (a NUL byte in the first 8000 bytes of any version, Git's test) is
never merged line by line: unless one side is unchanged (or both sides agree), the
result is a whole-file conflict that keeps ours.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

from .linediff import Change, diff, split_lines

BINARY_PROBE = 8000
MARKER_SIZE = 7


@dataclass(frozen=True)
class Labels:
    ours: str = "ours"
    base: str = "base"
    theirs: str = "theirs"


@dataclass
class TextMergeResult:
    """``content`` is the merged bytes (with markers when conflicted)."""

    content: bytes
    conflicts: int = 0          # number of conflict hunks, as git merge-file counts
    binary: bool = False

    @property
    def clean(self) -> bool:
        return self.conflicts == 0


@dataclass
class _Hunk:
    mode: int                   # 0 conflict, 1 take ours, 2 take theirs, 4 identical
    i0: int
    chg0: int
    i1: int
    chg1: int
    i2: int
    chg2: int
    extra: dict = field(default_factory=dict)


def is_binary(data: bytes) -> bool:
    return b"\0" in data[:BINARY_PROBE]


def merge_binary(base: bytes, ours: bytes, theirs: bytes) -> TextMergeResult:
    """Whole-file merge: only the trivial cases resolve, as at Git's tree level."""
    if ours == theirs or base == theirs:
        return TextMergeResult(ours, binary=True)
    if base == ours:
        return TextMergeResult(theirs, binary=True)
    return TextMergeResult(ours, conflicts=1, binary=True)


def merge_text(base: bytes, ours: bytes, theirs: bytes, *, labels: Labels = Labels(),
               diff3: bool = False) -> TextMergeResult:
    """Merge ``ours`` and ``theirs``, both descended from ``base`` (b"" if none)."""
    if is_binary(base) or is_binary(ours) or is_binary(theirs):
        return merge_binary(base, ours, theirs)
    b, o, t = split_lines(base), split_lines(ours), split_lines(theirs)
    d1, d2 = diff(b, o), diff(b, t)
    if not d1:
        return TextMergeResult(theirs)
    if not d2:
        return TextMergeResult(ours)
    hunks = _combine(d1, d2, o, t, len(b), len(o), len(t))
    if not diff3:
        hunks = _simplify(_refine(hunks, o, t), o)
    out = _render(hunks, b, o, t, labels, diff3)
    return TextMergeResult(out, conflicts=sum(1 for h in hunks if h.mode == 0))


def _append(hunks: list[_Hunk], mode, i0, chg0, i1, chg1, i2, chg2) -> None:
    """Add a hunk, folding it into the previous one when they touch."""
    m = hunks[-1] if hunks else None
    if m and (i1 <= m.i1 + m.chg1 or i2 <= m.i2 + m.chg2):
        if mode != m.mode:
            m.mode = 0
        m.chg0 = i0 + chg0 - m.i0
        m.chg1 = i1 + chg1 - m.i1
        m.chg2 = i2 + chg2 - m.i2
    else:
        hunks.append(_Hunk(mode, i0, chg0, i1, chg1, i2, chg2))


def _combine(d1: list[Change], d2: list[Change], o, t, nb, no, nt) -> list[_Hunk]:
    """Walk both change lists over the base and pair them into hunks."""
    hunks: list[_Hunk] = []
    p = q = 0
    while p < len(d1) and q < len(d2):
        x, y = d1[p], d2[q]
        if x.i1 + x.chg1 < y.i1:
            _append(hunks, 1, x.i1, x.chg1, x.i2, x.chg2, y.i2 - y.i1 + x.i1, x.chg1)
            p += 1
            continue
        if y.i1 + y.chg1 < x.i1:
            _append(hunks, 2, y.i1, y.chg1, x.i2 - x.i1 + y.i1, y.chg1, y.i2, y.chg2)
            q += 1
            continue
        same = (x.i1 == y.i1 and x.chg1 == y.chg1 and x.chg2 == y.chg2
                and o[x.i2:x.i2 + x.chg2] == t[y.i2:y.i2 + y.chg2])
        if not same:
            _append(hunks, 0, *_conflict_span(x, y))
        e1, e2 = x.i1 + x.chg1, y.i1 + y.chg1
        if e1 >= e2:
            q += 1
        if e2 >= e1:
            p += 1
    for x in d1[p:]:
        _append(hunks, 1, x.i1, x.chg1, x.i2, x.chg2, x.i1 + nt - nb, x.chg1)
    for y in d2[q:]:
        _append(hunks, 2, y.i1, y.chg1, y.i1 + no - nb, y.chg1, y.i2, y.chg2)
    return hunks


def _conflict_span(x: Change, y: Change) -> tuple[int, ...]:
    """The union of two overlapping changes, in base, ours and theirs coordinates."""
    off = x.i1 - y.i1
    ffo = off + x.chg1 - y.chg1
    i0, i1, i2 = x.i1, x.i2, y.i2
    if off > 0:
        i0 -= off
        i1 -= off
    else:
        i2 += off
    chg0 = x.i1 + x.chg1 - i0
    chg1 = x.i2 + x.chg2 - i1
    chg2 = y.i2 + y.chg2 - i2
    if ffo < 0:
        chg0 -= ffo
        chg1 -= ffo
    else:
        chg2 += ffo
    return i0, chg0, i1, chg1, i2, chg2


def _refine(hunks: list[_Hunk], o, t) -> list[_Hunk]:
    """Narrow each conflict to the lines where ours and theirs differ."""
    out: list[_Hunk] = []
    for m in hunks:
        if m.mode or m.chg1 == 0 or m.chg2 == 0:
            out.append(m)
            continue
        script = diff(o[m.i1:m.i1 + m.chg1], t[m.i2:m.i2 + m.chg2])
        if not script:
            m.mode = 4      # both sides made the same change
            out.append(m)
            continue
        for k, c in enumerate(script):
            # The first piece keeps the base span (used by nothing after refining).
            out.append(_Hunk(0, m.i0 if k == 0 else 0, m.chg0 if k == 0 else 0,
                             m.i1 + c.i1, c.chg1, m.i2 + c.i2, c.chg2))
    return out


_ALNUM = re.compile(rb"[A-Za-z0-9]")


def _has_alnum(lines: list[bytes]) -> bool:
    # C's isalnum in the C locale: ASCII letters and digits only.
    return any(_ALNUM.search(ln) for ln in lines)


def _simplify(hunks: list[_Hunk], o) -> list[_Hunk]:
    """Join conflicts separated by <= 3 lines, or only by lines without alnum."""
    if not hunks:
        return hunks
    out = [hunks[0]]
    for nxt in hunks[1:]:
        m = out[-1]
        begin, end = m.i1 + m.chg1, nxt.i1
        if m.mode != 0 or nxt.mode != 0 or (end - begin > 3 and _has_alnum(o[begin:end])):
            out.append(nxt)
        else:
            m.chg1 = nxt.i1 + nxt.chg1 - m.i1
            m.chg2 = nxt.i2 + nxt.chg2 - m.i2
    return out


def _eol_crlf(lines: list[bytes], i: int) -> int:
    """1 if line i ends in CRLF, 0 if in LF, -1 if unknown (Git's is_eol_crlf)."""
    n = len(lines)
    if i < n - 1:
        return int(lines[i].endswith(b"\r\n"))
    if not n:
        return -1
    if lines[i].endswith(b"\n"):
        return int(lines[i].endswith(b"\r\n"))
    if not i:
        return -1
    return int(lines[i - 1].endswith(b"\r\n"))


def _needs_cr(m: _Hunk, b, o, t) -> bool:
    v = _eol_crlf(o, m.i1 - 1 if m.i1 else 0)
    if v:
        v = _eol_crlf(t, m.i2 - 1 if m.i2 else 0)
    if v:
        v = _eol_crlf(b, 0)
    return v > 0


def _copy(lines: list[bytes], add_nl: bool, nl: bytes) -> bytes:
    data = b"".join(lines)
    if add_nl and lines and not lines[-1].endswith(b"\n"):
        data += nl
    return data


def _render(hunks, b, o, t, labels: Labels, diff3: bool) -> bytes:
    parts: list[bytes] = []
    i = 0
    for m in hunks:
        if m.mode == 0:
            nl = b"\r\n" if _needs_cr(m, b, o, t) else b"\n"
            parts.append(b"".join(o[i:m.i1]))
            parts.append(_marker("<", labels.ours, nl))
            parts.append(_copy(o[m.i1:m.i1 + m.chg1], True, nl))
            if diff3:
                parts.append(_marker("|", labels.base, nl))
                parts.append(_copy(b[m.i0:m.i0 + m.chg0], True, nl))
            parts.append(_marker("=", None, nl))
            parts.append(_copy(t[m.i2:m.i2 + m.chg2], True, nl))
            parts.append(_marker(">", labels.theirs, nl))
        elif m.mode == 1:
            parts.append(b"".join(o[i:m.i1 + m.chg1]))
        elif m.mode == 2:
            parts.append(b"".join(o[i:m.i1]))
            parts.append(b"".join(t[m.i2:m.i2 + m.chg2]))
        else:
            continue
        i = m.i1 + m.chg1
    parts.append(b"".join(o[i:]))
    return b"".join(parts)


def _marker(ch: str, label: str | None, nl: bytes) -> bytes:
    text = ch * MARKER_SIZE + (" " + label if label else "")
    return text.encode() + nl


def conflict_markers(content: bytes, marker_size: int = MARKER_SIZE) -> list[int]:
    """1-based line numbers of leftover conflict markers, for ``merge --continue``:
    a start (``<<<<<<<``), base (``|||||||``), separator (``=======``) or end line,
    each exactly ``marker_size`` characters followed by a space or the line end."""
    marks = {c * marker_size for c in (b"<", b"|", b"=", b">")}
    found = []
    for n, line in enumerate(content.split(b"\n"), 1):
        if line[:marker_size] in marks and line[marker_size:marker_size + 1] in (b"", b" ", b"\r"):
            found.append(n)
    return found
