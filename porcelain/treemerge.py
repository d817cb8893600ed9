"""Tree-level three-way merge: which paths merge, which conflict, and how.

Glossary (Git's): *base* is the merge base's tree, *ours* HEAD's, *theirs* the
tree merged in.  A *stage* is one side's (mode, blob id) of a path, None when the
path is absent on that side.  An *unmerged* path is one the merge could not
decide; its work-tree file holds the best effort (markers, or ours' records).

Rename-free semantics: a path is identified by its name only.  A rename on one
side is a deletion of the old name plus an addition of the new one, so an edit
of the old name on the other side is a modify/delete conflict.  Per path (``=``
means equal to base):

  ours == theirs              that version (also: deleted on both sides)
  ours =, theirs changed      theirs (a deletion too)
  theirs =, ours changed      ours
  both changed, both present  content merge by the path's merge driver
                              (.ldvattributes: text, binary, records); modes:
                              the side that changed the mode wins, both
                              changed differently is a conflict; a symlink
                              changed on both sides conflicts whole (ours kept)
  added on both sides         content merge against an empty base (add/add, AA)
  deleted on one side,        modify/delete: the modified version stays in the
  modified on the other       work tree (DU: deleted by us, UD: deleted by them)

A path that is a file on one side and a directory on the other is not merged:
the whole merge stops before touching anything (DirectoryFileConflict).
"""
from __future__ import annotations

import os
import posixpath
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from ldv.plumbing.blobs import open_blob, read_blob, write_blob, write_bytes
from ldv.plumbing.errors import BadFormat, Conflict
from ldv.plumbing.objects import MODE_SYMLINK, TreeEntry
from ldv.plumbing.trees import diff_trees

from .merge import Attributes, Labels, merge_binary, merge_file, merge_text
from .mergestate import PathConflict, conflict_records

ATTRIBUTES_FILE = ".ldvattributes"
_SHOW_KEYS = 10

Stage = tuple  # (mode, oid, size)


class DirectoryFileConflict(Conflict):
    """A path is a file on one side and a directory on the other."""


@dataclass
class TreeMerge:
    """The merged files: ``changed`` maps each path that differs from ours to its
    new (mode, oid, size), or None when it goes away."""

    changed: dict[str, Stage | None] = field(default_factory=dict)
    conflicts: dict[str, PathConflict] = field(default_factory=dict)
    auto_merged: list[str] = field(default_factory=list)

    @property
    def clean(self) -> bool:
        return not self.conflicts


class TreeMerger:
    """Merges trees read from ``odb``; new blobs go to ``out_odb``."""

    def __init__(self, odb, chunker, attrs: Attributes, labels: Labels,
                 out_odb=None, inner: bool = False):
        self.odb, self.chunker, self.attrs, self.labels = odb, chunker, attrs, labels
        self.out = out_odb if out_odb is not None else odb
        self.inner = inner    # merging merge bases into a virtual base (as ort's call_depth)

    def merge(self, base: bytes | None, ours: bytes | None,
              theirs: bytes | None) -> TreeMerge:
        ch_o = {p: (o, n) for p, o, n in diff_trees(self.odb, base, ours)}
        ch_t = {p: (o, n) for p, o, n in diff_trees(self.odb, base, theirs)}
        tm = TreeMerge()
        for p in sorted(ch_t):
            b, t = ch_t[p]
            if p not in ch_o:
                tm.changed[p] = _stage(t)         # only theirs changed it
                continue
            o = ch_o[p][1]
            if _stage(o) == _stage(t):
                continue                          # same change on both sides
            self._both_changed(tm, p, _stage(b), _stage(o), _stage(t))
        return tm

    def _both_changed(self, tm: TreeMerge, p: str, b, o, t) -> None:
        if o is None or t is None:
            code = "DU" if o is None else "UD"
            tm.conflicts[p] = PathConflict(p, code, "modify/delete", b, o, t)
            if self.inner:
                tm.changed[p] = b                 # a virtual base keeps the base's (Git)
            elif o is None:
                tm.changed[p] = t                 # the modified version stays
            return
        mode, mode_ok = _merge_mode(b, o, t)
        code = "UU" if b is not None else "AA"
        if MODE_SYMLINK in (o[0], t[0]) and o[1] != t[1]:
            tm.conflicts[p] = PathConflict(p, code, "symlink", b, o, t)
            return                                # ours stays as it is
        oid_size, clean, conflict = self._content(p, b, o, t)
        if (mode, oid_size[0]) != (o[0], o[1]):
            tm.changed[p] = (mode, *oid_size)
        if not clean or not mode_ok:
            if clean or conflict is None:
                conflict = PathConflict(p, code, "mode", b, o, t)
            conflict.code = code
            tm.conflicts[p] = conflict
        elif b is None or (b[1] != o[1] and b[1] != t[1]):
            tm.auto_merged.append(p)

    def _content(self, p: str, b, o, t):
        """Merged (oid, size), whether clean, and the conflict if not."""
        if o[1] == t[1]:
            return (o[1], o[2]), True, None
        if b is not None and b[1] == o[1]:
            return (t[1], t[2]), True, None
        if b is not None and b[1] == t[1]:
            return (o[1], o[2]), True, None
        settings = self.attrs.merge_settings(p)
        kind = "add/add" if b is None else "content"
        if settings.driver == "records":
            return self._records(p, settings, b, o, t, kind)
        data = [read_blob(self.odb, s[1]) if s else b"" for s in (b, o, t)]
        if settings.driver == "binary":
            res = merge_binary(*data)
        else:
            res = merge_text(*data, labels=self.labels)
        if res.binary and not res.clean and self.inner:
            return (b[1], b[2]) if b else (o[1], o[2]), False, \
                PathConflict(p, "", kind, b, o, t, driver="binary")
        oid_size = write_bytes(self.out, res.content, chunker=self.chunker)
        return oid_size, res.clean, PathConflict(p, "", kind, b, o, t,
                                                 driver="binary" if res.binary else "text")

    def _records(self, p, settings, b, o, t, kind):
        """Record merge: the engine needs files, so the three versions go to a
        private (0700) temporary directory that is removed right after."""
        tmp = Path(tempfile.mkdtemp(prefix="ldv-merge-"))
        try:
            os.chmod(tmp, 0o700)
            names = []
            for name, s in (("base", b), ("ours", o), ("theirs", t)):
                if s is None:
                    names.append(None)
                    continue
                path = tmp / name
                with open(path, "wb") as f, open_blob(self.odb, s[1]) as src:
                    shutil.copyfileobj(src, f, 1 << 20)
                names.append(path)
            try:
                res = merge_file(settings, names[0], names[1], names[2], tmp / "out")
            except BadFormat as e:
                raise _about(e, p, tmp) from None
            with open(tmp / "out", "rb") as f:
                oid_size = write_blob(self.out, f, chunker=self.chunker)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
        r = res.records
        conflict = PathConflict(p, "", kind, b, o, t, driver="records",
                                keys=r.keys[:_SHOW_KEYS] if r else [],
                                key_count=r.stats.conflicts if r else 0,
                                records=conflict_records(r.conflicts)
                                if r and not self.inner else [])
        return oid_size, res.clean, conflict


def _about(e: BadFormat, path: str, tmp: Path) -> BadFormat:
    """The engine's error about its temporary copies ("base base record 2"),
    told about the repository's path instead ("d.jsonl: base record 2")."""
    msg = e.message.replace(f"{tmp}{os.sep}", "")
    for side in ("base", "ours", "theirs"):
        msg = msg.replace(f"{side} {side}", side)
    return BadFormat(f"{path}: {msg}", hint=e.hint)


def _stage(e: TreeEntry | None) -> Stage | None:
    return None if e is None else (e.mode, e.oid, e.size)


def _merge_mode(b, o, t) -> tuple[int, bool]:
    """The merged mode and whether it merged cleanly."""
    if o[0] == t[0]:
        return o[0], True
    if b is not None and b[0] == o[0]:
        return t[0], True
    if b is not None and b[0] == t[0]:
        return o[0], True
    return o[0], False


def attributes_of(odb, files: dict) -> Attributes:
    """The ``.ldvattributes`` files among ``files`` ({path: entry with .oid})."""
    texts = {}
    for path, e in files.items():
        if posixpath.basename(path) == ATTRIBUTES_FILE:
            texts[posixpath.dirname(path)] = read_blob(odb, e.oid).decode("utf-8", "replace")
    return Attributes.from_files(texts)


def check_directory_file(ours: dict, tm: TreeMerge) -> None:
    """Refuse a merge whose result would hold a file and a directory of one name."""
    files = {p for p in ours if tm.changed.get(p, True) is not None}
    files |= {p for p, s in tm.changed.items() if s is not None}
    dirs = set()
    for p in files:
        i = p.rfind("/")
        while i > 0 and p[:i] not in dirs:
            dirs.add(p[:i])
            i = p.rfind("/", 0, i)
    clash = sorted(files & dirs)
    if clash:
        raise DirectoryFileConflict(
            f"merge conflict: {clash[0]} is a file on one side and a directory on the "
            "other; nothing was changed",
            hint="rename or remove it on one branch, commit, and merge again")
