"""Row diffs of every tabular file that changed between two trees.

The caller (``ldv diff A B --rows``) knows which paths changed and how to open
each version; this module diffs the tabular ones and adds the counts up.  A
file that fails (bad format, non-unique key) is reported with its error and the
others are still diffed, so one broken file does not hide the rest.
"""
from __future__ import annotations

import io
from dataclasses import dataclass, replace
from typing import Iterable

from ldv.plumbing.blobs import open_blob
from ldv.plumbing.errors import BadInput
from ldv.plumbing.objects import MODE_EXEC, MODE_FILE

from .engine import DiffOptions, diff_rows
from .formats import detect_format, is_tabular
from .model import SCHEMA_VERSION, Counts, RowDiff

_REGULAR = (MODE_FILE, MODE_EXEC)


@dataclass(frozen=True)
class FileChange:
    """A changed path: status A (added), D (deleted) or M (modified), and sources."""

    path: str
    status: str
    old: object = None  # a source for diff_rows (or a callable giving one); None when added
    new: object = None  # None when deleted


@dataclass(frozen=True)
class FileRowDiff:
    path: str
    status: str
    diff: RowDiff | None = None
    error: str | None = None

    def to_dict(self) -> dict:
        return {"path": self.path, "status": self.status,
                "diff": self.diff.to_dict() if self.diff else None,
                "error": self.error}


@dataclass(frozen=True)
class TreeRowDiff:
    """The row diffs of all tabular files, with totals."""

    files: tuple[FileRowDiff, ...]

    @property
    def diffs(self) -> list[RowDiff]:
        return [f.diff for f in self.files if f.diff]

    @property
    def counts(self) -> Counts:
        total = Counts()
        for d in self.diffs:
            total = total + d.counts
        return total

    @property
    def old_rows(self) -> int:
        return sum(d.old.rows for d in self.diffs)

    @property
    def new_rows(self) -> int:
        return sum(d.new.rows for d in self.diffs)

    @property
    def schema_changed(self) -> bool:
        return any(d.schema.changed for d in self.diffs)

    @property
    def errors(self) -> list[str]:
        return [f"{f.path}: {f.error}" for f in self.files if f.error]

    @property
    def changed(self) -> bool:
        return any(d.changed for d in self.diffs) or bool(self.errors)

    def to_dict(self) -> dict:
        return {"schema_version": SCHEMA_VERSION, "kind": "tree",
                "changed": self.changed,
                "totals": {**self.counts.to_dict(), "old_rows": self.old_rows,
                           "new_rows": self.new_rows,
                           "files": len(self.files),
                           "schema_changed": self.schema_changed},
                "files": [f.to_dict() for f in self.files]}


def summarize_tree(changes: Iterable[FileChange],
                   opts: DiffOptions | None = None) -> TreeRowDiff:
    """Diff the tabular files among ``changes`` (others are left out), by path."""
    opts = opts or DiffOptions()
    out = []
    for ch in sorted(changes, key=lambda c: c.path):
        if ch.status not in ("A", "D", "M"):
            raise ValueError(f"unknown file status {ch.status!r}")
        if opts.fmt is None and not is_tabular(ch.path):
            continue
        # The path, not the source (often a nameless stream), names the file
        # and decides its format.
        file_opts = replace(opts, fmt=opts.fmt or detect_format(ch.path),
                            names=(ch.path, ch.path))
        try:
            d = diff_rows(_source(ch.old) if ch.status != "A" else None,
                          _source(ch.new) if ch.status != "D" else None, file_opts)
        except BadInput as e:
            out.append(FileRowDiff(ch.path, ch.status, error=str(e)))
            continue
        out.append(FileRowDiff(ch.path, ch.status, diff=d))
    return TreeRowDiff(tuple(out))


def _source(src):
    """Sources may be given lazily, so only tabular files are ever opened."""
    return src() if callable(src) else src


def from_file_diff(changes, odb, fs=None, *, fmt: str | None = None) -> list[FileChange]:
    """Row-diff inputs for the regular files of a ``porcelain.diff`` result:
    those with a tabular extension, or with ``fmt`` (a format forced on every
    file, ``DiffOptions.fmt``) all of them.

    Committed and staged versions are read lazily with random access: through
    ``fs`` (a revfs RevisionFileSystem, which the diff's DiffOptions.filesystems
    must name; DuckDB then reads them concurrently, decoding ahead) or else
    through ``open_blob`` one range at a time.  A working-tree file without an
    id is read through the diff's own reader.
    """
    out = []
    for c in changes:
        if (fmt is None and not is_tabular(c.path)) or any(
                e is not None and e.mode not in _REGULAR for e in (c.old, c.new)):
            continue
        status = "M" if c.status == "T" else c.status
        out.append(FileChange(c.path, status, _opener(odb, c.old, c.read_old, fs),
                              _opener(odb, c.new, c.read_new, fs)))
    return out


def _opener(odb, entry, read, fs=None):
    if entry is None:
        return None
    if entry.oid is not None and fs is not None:
        return lambda: fs.blob_url(entry.oid, entry.size)
    if entry.oid is not None:
        return lambda: open_blob(odb, entry.oid)
    return lambda: io.BytesIO(read())
