"""File-level diffs between two sides: a commit's tree, the index, the working tree.

``diff()`` picks the sides as ``git diff`` does and returns a ``DiffResult``:
a list of ``FileChange`` (path, status A/M/D/T, old and new entries) that
renders as a unified text diff, ``--stat``, ``--name-status`` or JSON.  Content
is read only for the paths that changed, and only when rendering needs it.
"""
from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from typing import Callable

from ldv.plumbing.objects import MODE_SYMLINK
from ldv.plumbing.trees import diff_trees

from . import revparse
from .diff_sides import IndexSide, Side, TreeSide, WorktreeSide

TEXT_LIMIT = 64 << 20       # larger files get a one-line summary, not a line diff
SNIFF = 8000                # Git's heuristic: a NUL in the first 8000 bytes is binary


@dataclass
class Entry:
    """One side of a changed path: mode, id (None for an unhashed work file), size."""

    mode: int
    oid: bytes | None
    size: int


@dataclass
class FileChange:
    path: str
    status: str          # A added, D deleted, M modified, T type changed, R renamed
    old: Entry | None
    new: Entry | None
    read_old: Callable[[], bytes] | None = field(default=None, repr=False)
    read_new: Callable[[], bytes] | None = field(default=None, repr=False)
    _text: tuple | None = field(default=None, repr=False)
    _ops: tuple | None = field(default=None, repr=False)
    old_path: str | None = None       # for R: where the file was

    @property
    def label(self) -> str:
        """``--name-status`` status: Git writes an exact rename as R100."""
        return "R100" if self.status == "R" else self.status

    def contents(self) -> tuple[bytes, bytes]:
        a = self.read_old() if self.read_old and self.old else b""
        b = self.read_new() if self.read_new and self.new else b""
        return a, b

    def text_lines(self):
        """(old lines, new lines) for a text file, None for a binary or huge one."""
        if self._text is None:
            self._text = (_as_lines(self),)
        return self._text[0]

    def opcodes(self) -> list[tuple[str, int, int, int, int]] | None:
        """difflib opcodes over the lines, None for a binary or huge file."""
        if self._ops is None:
            lines = self.text_lines()
            self._ops = (None if lines is None else line_opcodes(*lines),)
        return self._ops[0]

    @property
    def too_large(self) -> bool:
        return any(e is not None and e.size > TEXT_LIMIT for e in (self.old, self.new))

    def counts(self) -> tuple[int, int] | None:
        """(insertions, deletions) in lines, None for a binary file."""
        ops = self.opcodes()
        if ops is None:
            return None
        ins = dels = 0
        for op, i1, i2, j1, j2 in ops:
            if op in ("replace", "delete"):
                dels += i2 - i1
            if op in ("replace", "insert"):
                ins += j2 - j1
        return ins, dels


@dataclass
class DiffResult:
    changes: list[FileChange]

    def __bool__(self) -> bool:
        return bool(self.changes)

    def name_status(self) -> str:
        return "".join(f"{c.label}\t{c.old_path}\t{c.path}\n" if c.old_path else
                       f"{c.label}\t{c.path}\n" for c in self.changes)

    def name_only(self) -> str:
        return "".join(f"{c.path}\n" for c in self.changes)

    def patch(self) -> str:
        from .diff_render import render_patch
        return render_patch(self)

    def stat(self, width: int = 80) -> str:
        from .diff_render import render_stat
        return render_stat(self, width)

    def to_json(self) -> dict:
        from .diff_render import render_json
        return render_json(self)


def diff(repo, workspace, a: str | None = None, b: str | None = None, *,
         cached: bool = False, paths: list[str] | None = None,
         renames: bool = True) -> DiffResult:
    """``git diff`` side selection: see ldv.api.Repository.diff.

    ``paths`` are relative to the workspace's cwd, as on the command line.
    """
    paths = [workspace.normalize(p) for p in paths or []]
    if a is not None and b is not None:
        old = TreeSide(repo, revparse.resolve_tree(repo, a))
        new = TreeSide(repo, revparse.resolve_tree(repo, b))
    elif a is not None:
        old = TreeSide(repo, revparse.resolve_tree(repo, a))
        new = IndexSide(workspace) if cached else WorktreeSide(workspace)
    elif cached:
        head = workspace.head_commit()
        old = TreeSide(repo, revparse.resolve_tree(repo, head.hex()) if head else None)
        new = IndexSide(workspace)
    else:
        index = workspace.index
        old, new = IndexSide(workspace, index), WorktreeSide(workspace, index)
    return compare(old, new, paths or [], renames=renames)


def compare(old: Side, new: Side, paths: list[str], *, renames: bool = True) -> DiffResult:
    """The changes from ``old`` to ``new`` under ``paths`` (all when empty)."""
    if isinstance(old, TreeSide) and isinstance(new, TreeSide):
        changes = _tree_changes(old, new, paths)
    else:
        changes = _generic_changes(old, new, paths)
    return DiffResult(find_renames(changes) if renames else changes)


def find_renames(changes: list[FileChange]) -> list[FileChange]:
    """Pair a deleted and an added file with the same content as one rename (R100).

    Exact renames only: ids are content hashes, so this costs one dict, not a
    similarity search; a moved-and-edited file stays a D and an A.
    """
    gone: dict[tuple, list[FileChange]] = {}
    for c in changes:
        if c.status == "D" and c.old.oid is not None:
            gone.setdefault((c.old.oid, _kind(c.old.mode)), []).append(c)
    if not gone:
        return changes
    paired: set[int] = set()
    out = []
    for c in changes:
        if c.status != "A" or c.new.oid is None:
            continue
        candidates = gone.get((c.new.oid, _kind(c.new.mode)))
        if candidates:
            d = candidates.pop(0)
            paired.update((id(d), id(c)))
            out.append(FileChange(c.path, "R", d.old, c.new, read_old=d.read_old,
                                  read_new=c.read_new, old_path=d.path))
    out += [c for c in changes if id(c) not in paired]
    return sorted(out, key=lambda c: c.path)


def _tree_changes(old: TreeSide, new: TreeSide, paths) -> list[FileChange]:
    out = []
    for path, x, y in diff_trees(old.repo.odb, old.tree, new.tree):
        if not _selected(path, paths):
            continue
        out.append(_change(path, _entry(x), _entry(y), old, new))
    return out


def _generic_changes(old: Side, new: Side, paths) -> list[FileChange]:
    a = {p: e for p, e in old.entries().items() if _selected(p, paths)}
    b = {p: e for p, e in new.entries().items() if _selected(p, paths)}
    out = []
    for path in sorted(a.keys() | b.keys()):
        x, y = a.get(path), b.get(path)
        if x is not None and y is not None and _same(path, x, y, old, new):
            continue
        out.append(_change(path, x, y, old, new))
    return out


def _same(path, x: Entry, y: Entry, old: Side, new: Side) -> bool:
    if x.mode != y.mode:
        return False
    if x.oid is not None and y.oid is not None:
        return x.oid == y.oid
    if x.size != y.size:
        return False
    # Same size, one side unhashed (a work file whose stat changed): hash it the
    # way `add` would, streaming, rather than holding both versions in memory.
    return old.oid(path) == new.oid(path)


def _change(path, x, y, old: Side, new: Side) -> FileChange:
    if x is None:
        status = "A"
    elif y is None:
        status = "D"
    elif _kind(x.mode) != _kind(y.mode):
        status = "T"
    else:
        status = "M"
    return FileChange(path, status, x, y,
                      read_old=lambda: old.read(path), read_new=lambda: new.read(path))


def _kind(mode: int) -> str:
    return "link" if mode == MODE_SYMLINK else "file"


def _entry(t) -> Entry | None:
    return None if t is None else Entry(t.mode, t.oid, t.size)


def _selected(path: str, paths) -> bool:
    if not paths:
        return True
    for p in paths:
        p = p.strip("/")
        if p in ("", ".") or path == p or path.startswith(p + "/"):
            return True
    return False


def _as_lines(c: FileChange):
    sizes = [e.size for e in (c.old, c.new) if e is not None]
    if any(s > TEXT_LIMIT for s in sizes):
        return None
    a, b = c.contents()
    if b"\0" in a[:SNIFF] or b"\0" in b[:SNIFF]:
        return None
    try:
        return a.decode("utf-8").splitlines(True), b.decode("utf-8").splitlines(True)
    except UnicodeDecodeError:
        return None


def line_opcodes(a: list, b: list) -> list[tuple[str, int, int, int, int]]:
    """SequenceMatcher's opcodes, with common leading and trailing lines set
    aside first: a dataset file with a few edited rows then diffs in time
    proportional to the edited region, not to the file."""
    n = min(len(a), len(b))
    p = 0
    while p < n and a[p] == b[p]:
        p += 1
    s = 0
    while s < n - p and a[len(a) - 1 - s] == b[len(b) - 1 - s]:
        s += 1
    mid = difflib.SequenceMatcher(None, a[p:len(a) - s], b[p:len(b) - s], autojunk=False)
    ops = [("equal", 0, p, 0, p)] if p else []
    for tag, i1, i2, j1, j2 in mid.get_opcodes():
        ops.append((tag, i1 + p, i2 + p, j1 + p, j2 + p))
    if s:
        ops.append(("equal", len(a) - s, len(a), len(b) - s, len(b)))
    return _merge_equal(ops)


def _merge_equal(ops):
    out = []
    for op in ops:
        if out and op[0] == "equal" and out[-1][0] == "equal":
            t, i1, _, j1, _ = out[-1]
            out[-1] = ("equal", i1, op[2], j1, op[4])
        else:
            out.append(op)
    return out


def mode_text(mode: int) -> str:
    return f"{mode:06o}"

