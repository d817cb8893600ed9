"""Renderings of a DiffResult: Git's unified patch, ``--stat`` and JSON."""
from __future__ import annotations

import difflib

from ldv.plumbing.objects import MODE_SYMLINK

_NULL = "0" * 7
_NO_EOL = "\\ No newline at end of file\n"


def render_patch(result) -> str:
    return "".join(_patch_one(c) for c in result.changes)


def _short(entry) -> str:
    if entry is None or entry.oid is None:
        return _NULL
    return entry.oid.hex()[:7]


def _header(c) -> list[str]:
    if c.status == "R":
        out = [f"diff --git a/{c.old_path} b/{c.path}\n"]
        if c.old.mode != c.new.mode:
            out.append(f"old mode {c.old.mode:06o}\nnew mode {c.new.mode:06o}\n")
        return out + ["similarity index 100%\n", f"rename from {c.old_path}\n",
                      f"rename to {c.path}\n"]
    out = [f"diff --git a/{c.path} b/{c.path}\n"]
    old, new = c.old, c.new
    if old is None:
        out.append(f"new file mode {new.mode:06o}\n")
        out.append(f"index {_NULL}..{_short(new)}\n")
    elif new is None:
        out.append(f"deleted file mode {old.mode:06o}\n")
        out.append(f"index {_short(old)}..{_NULL}\n")
    elif old.mode != new.mode:
        out.append(f"old mode {old.mode:06o}\nnew mode {new.mode:06o}\n")
        out.append(f"index {_short(old)}..{_short(new)}\n")
    else:
        out.append(f"index {_short(old)}..{_short(new)} {old.mode:06o}\n")
    return out


def _patch_one(c) -> str:
    out = _header(c)
    if c.status == "R":
        return "".join(out)     # exact rename: no content change to show
    if c.old is not None and c.new is not None and c.old.oid is not None \
            and c.old.oid == c.new.oid:
        return "".join(out)     # mode change only
    lines = c.text_lines()
    a_name = "/dev/null" if c.old is None else f"a/{c.path}"
    b_name = "/dev/null" if c.new is None else f"b/{c.path}"
    if lines is None and c.too_large:
        out.append(f"Large files {a_name} and {b_name} differ ({_bin(c)[4:]}; "
                   "too large for a line diff)\n")
        return "".join(out)
    if lines is None:
        out.append(f"Binary files {a_name} and {b_name} differ\n")
        return "".join(out)
    a, b = lines
    if a == b:
        return "".join(out)
    out.append(f"--- {a_name}\n+++ {b_name}\n")
    for line in _hunks(a, b, c.opcodes()):
        out.append(line if line.endswith("\n") else line + "\n" + _NO_EOL)
    return "".join(out)


class _Grouper(difflib.SequenceMatcher):
    """Reuses difflib's hunk grouping over opcodes computed elsewhere."""

    def __init__(self, ops):
        self._ops = ops

    def get_opcodes(self):
        return list(self._ops)


def _hunks(a, b, ops, context: int = 3):
    """The lines of unified-diff hunks, as difflib.unified_diff writes them."""
    for group in _Grouper(ops).get_grouped_opcodes(context):
        first, last = group[0], group[-1]
        yield f"@@ -{_range(first[1], last[2])} +{_range(first[3], last[4])} @@\n"
        for tag, i1, i2, j1, j2 in group:
            if tag == "equal":
                yield from (" " + x for x in a[i1:i2])
                continue
            if tag in ("replace", "delete"):
                yield from ("-" + x for x in a[i1:i2])
            if tag in ("replace", "insert"):
                yield from ("+" + x for x in b[j1:j2])


def _range(start: int, stop: int) -> str:
    """Git's hunk range: 'start,length', without ',1'; an empty range names the line before."""
    beginning, length = start + 1, stop - start
    if length == 1:
        return f"{beginning}"
    if not length:
        beginning -= 1
    return f"{beginning},{length}"


def render_stat(result, width: int = 80) -> str:
    rows = []
    total_ins = total_del = 0
    for c in result.changes:
        name = rename_text(c.old_path, c.path) if c.old_path else c.path
        counts = (0, 0) if c.status == "R" else c.counts()
        if counts is None:
            rows.append((name, None, _bin(c)))
        else:
            total_ins += counts[0]
            total_del += counts[1]
            rows.append((name, counts, ""))
    if not rows:
        return ""
    name_w = max(len(r[0]) for r in rows)
    num_w = max((len(str(sum(r[1]))) for r in rows if r[1]), default=1)
    most = max((sum(r[1]) for r in rows if r[1]), default=0)
    bar_w = max(10, width - name_w - num_w - 6)
    lines = []
    for path, counts, binary in rows:
        if counts is None:
            lines.append(f" {path.ljust(name_w)} | {binary}\n")
            continue
        ins, dels = _scale(counts, most, bar_w)
        lines.append(f" {path.ljust(name_w)} | {str(sum(counts)).rjust(num_w)} "
                     f"{'+' * ins}{'-' * dels}".rstrip() + "\n")
    lines.append(summary_line(len(rows), total_ins, total_del))
    return "".join(lines)


def rename_text(a: str, b: str) -> str:
    """Git's compact rename: the shared leading and trailing folders outside braces,
    e.g. ``{old => new}/name.csv``."""
    pre = 0
    for i in range(min(len(a), len(b))):
        if a[i] != b[i]:
            break
        if a[i] == "/":
            pre = i + 1
    suf = 0
    for i in range(1, min(len(a), len(b)) - pre + 1):
        if a[-i] != b[-i]:
            break
        if a[-i] == "/":
            suf = i
    if not pre and not suf:
        return f"{a} => {b}"
    return f"{a[:pre]}{{{a[pre:len(a) - suf]} => {b[pre:len(b) - suf]}}}{a[len(a) - suf:]}"


def _bin(c) -> str:
    a = c.old.size if c.old else 0
    b = c.new.size if c.new else 0
    return f"Bin {a} -> {b} bytes"


def _scale(counts, most, bar_w):
    ins, dels = counts
    if most <= bar_w:
        return ins, dels
    # Git scales so the largest change fills the bar; keep a non-zero side visible.
    f = bar_w / most
    return (max(1, round(ins * f)) if ins else 0), (max(1, round(dels * f)) if dels else 0)


def summary_line(files: int, ins: int, dels: int) -> str:
    parts = [f" {files} file{'s' if files != 1 else ''} changed"]
    if ins or not dels:
        parts.append(f"{ins} insertion{'s' if ins != 1 else ''}(+)")
    if dels or not ins:
        parts.append(f"{dels} deletion{'s' if dels != 1 else ''}(-)")
    return ", ".join(parts) + "\n"


def render_json(result) -> dict:
    changes = []
    total_ins = total_del = 0
    for c in result.changes:
        counts = (0, 0) if c.status == "R" else c.counts()
        item = {"path": c.path, "status": c.status, "old": _side(c.old), "new": _side(c.new),
                "binary": counts is None}
        if c.old_path:
            item["old_path"] = c.old_path
        if counts is not None:
            item["insertions"], item["deletions"] = counts
            total_ins += counts[0]
            total_del += counts[1]
        changes.append(item)
    return {"changes": changes, "files_changed": len(changes),
            "insertions": total_ins, "deletions": total_del}


def _side(e):
    if e is None:
        return None
    return {"mode": f"{e.mode:06o}", "id": e.oid.hex() if e.oid else None, "size": e.size,
            "symlink": e.mode == MODE_SYMLINK}
