"""Three-way record merge of JSONL, CSV and Parquet files.

With a key, the three versions are full-outer-joined on it in DuckDB and every key
is decided on its own (table in docs/MERGE.md): a record changed on one side only
takes that side; changed identically on both, once; changed differently, deleted on
one side and changed on the other, or added differently on both, is a conflict.

Output order, with a key: ours' records in ours' order (each replaced by theirs'
version where only theirs changed it, and left out where theirs deleted it), then
the records theirs added, in theirs' order.

Without a key the record sequences are aligned as a line diff aligns lines (the
xdiff alignment of linediff, on record digests) and merged positionally: edits to
disjoint runs of base records merge cleanly, even when adjacent; insertions at the
same place from both sides come out ours first; edits that overlap in a base record
conflict (never two records).  Output order is the merged sequence.

Conflicted records are written as ours has them (see RecordMergeResult).
"""
from __future__ import annotations

import shutil
from pathlib import Path

import duckdb
import pyarrow as pa

from ldv.plumbing.errors import BadFormat, BadInput, LdvError

from . import duck
from . import parquet as pq_side
from .base import (ADD_ADD, DELETE_MODIFY, FORMATS, MODIFY_DELETE, MODIFY_MODIFY, SCHEMA,
                   MergeStats, RecordConflict, RecordMergeResult)
from .records import RecordTable, display_key, scan
from .sequence import sequence_merge

BASE, OURS, THEIRS = 0, 1, 2
LABELS = {BASE: "base", OURS: "ours", THEIRS: "theirs"}
WINDOW = 1 << 20


def merge_records(base: Path | None, ours: Path, theirs: Path, out: Path, *,
                  fmt: str, key: tuple[str, ...] | str | None = None,
                  max_conflicts: int = 1000, spill_dir: Path | None = None
                  ) -> RecordMergeResult:
    """Merge three versions of a record file into ``out`` (see the module docstring).

    ``key`` is a tuple of field names or ``"a,b"``; None merges by position.  DuckDB
    may spill join data (plaintext keys and digests) into ``spill_dir``, by default
    the directory of ``out``: both belong in the caller's private temporary directory.
    """
    if fmt not in FORMATS:
        raise BadFormat(f"unknown record format {fmt!r}", hint="use jsonl, csv or parquet")
    if isinstance(key, str):
        key = tuple(k.strip() for k in key.split(","))
    key = tuple(key) if key else None
    paths = {BASE: Path(base) if base is not None else None, OURS: Path(ours),
             THEIRS: Path(theirs)}
    if any(p is not None and Path(out).resolve() == p.resolve() for p in paths.values()):
        raise BadInput(f"the merge output {out} is one of its inputs",
                       hint="write the merge to a new file, then move it into place")
    result = RecordMergeResult(fmt, key)
    side = _fast_path(paths)
    if side is not None:
        shutil.copyfile(paths[side], out)
        result.fast_path = LABELS[side]
        return result
    spill = Path(spill_dir or Path(out).parent)
    tables = {s: scan(p, LABELS[s], fmt, key, spill) for s, p in paths.items()
              if p is not None}
    st = result.stats
    st.base = tables[BASE].count if BASE in tables else 0
    st.ours, st.theirs = tables[OURS].count, tables[THEIRS].count
    if _schema_of(tables[OURS]) != _schema_of(tables[THEIRS]):
        return _whole_file_conflict(result, tables, paths, out, SCHEMA, "<schema>")
    if key is None and BASE not in tables:
        return _whole_file_conflict(result, tables, paths, out, ADD_ADD, "<file>")
    if key is not None:
        runs, conflicts = _keyed(tables, key, st, max_conflicts, spill)
    else:
        runs, conflicts = _positional(tables, st, max_conflicts)
    st.out = _write(out, runs, tables, paths, fmt)
    result.conflicts = _details(conflicts, tables, paths, fmt)
    return result


# -- fast paths and whole-file outcomes ------------------------------------------

def _same_file(a: Path, b: Path) -> bool:
    if a.stat().st_size != b.stat().st_size:
        return False
    with open(a, "rb") as fa, open(b, "rb") as fb:
        while True:
            x, y = fa.read(WINDOW), fb.read(WINDOW)
            if x != y:
                return False
            if not x:
                return True


def _fast_path(paths) -> int | None:
    """The side to take whole when the other made no change (as Git does)."""
    if _same_file(paths[OURS], paths[THEIRS]):
        return OURS
    if paths[BASE] is None:
        return None
    if _same_file(paths[BASE], paths[OURS]):
        return THEIRS
    if _same_file(paths[BASE], paths[THEIRS]):
        return OURS
    return None


def _schema_of(t: RecordTable):
    return t.schema if t.schema is not None else t.columns


def _whole_file_conflict(result, tables, paths, out, kind, label) -> RecordMergeResult:
    shutil.copyfile(paths[OURS], out)
    header = {s: (t.header if t.header is not None else None) for s, t in tables.items()}
    result.stats.conflicts = 1
    result.stats.out = tables[OURS].count
    result.conflicts = [RecordConflict(label, kind, header.get(BASE), header[OURS],
                                       header[THEIRS])]
    return result


# -- keyed merge ------------------------------------------------------------------

# One row per key: its category (conflicts start with "c:") decides what is written.
_CATEGORY = """
CASE
  WHEN ho IS NOT NULL AND hb IS NULL AND ht IS NULL THEN 'added_ours'
  WHEN ho IS NOT NULL AND hb IS NULL AND ht = ho THEN 'added_both'
  WHEN ho IS NOT NULL AND hb IS NULL THEN 'c:add/add'
  WHEN ho IS NULL AND hb IS NULL THEN 'added_theirs'
  WHEN ho IS NULL AND ht IS NULL THEN 'deleted_both'
  WHEN ho IS NULL AND ht = hb THEN 'deleted_ours'
  WHEN ho IS NULL THEN 'c:delete/modify'
  WHEN ht IS NULL AND ho = hb THEN 'deleted_theirs'
  WHEN ht IS NULL THEN 'c:modify/delete'
  WHEN ho = hb AND ht = hb THEN 'unchanged'
  WHEN ho = hb THEN 'changed_theirs'
  WHEN ht = hb THEN 'changed_ours'
  WHEN ht = ho THEN 'changed_both'
  ELSE 'c:modify/modify'
END"""

# Where each category's record comes from: ours at ours' place, theirs at ours'
# place (an edit only theirs made), or theirs appended after ours' records.
_EMIT = """
CASE WHEN cat = 'changed_theirs' THEN 2
     WHEN cat = 'added_theirs' THEN 2
     WHEN cat IN ('deleted_both', 'deleted_ours', 'deleted_theirs', 'c:delete/modify')
       THEN NULL
     ELSE 1 END"""

_STAT = {"unchanged": "unchanged", "changed_ours": "changed_ours",
         "changed_both": "changed_ours", "changed_theirs": "changed_theirs",
         "added_ours": "added_ours", "added_both": "added_ours",
         "added_theirs": "added_theirs", "deleted_ours": "deleted_ours",
         "deleted_both": "deleted_ours", "deleted_theirs": "deleted_theirs"}


def _check_unique(con, name: str, label: str, key) -> None:
    dup = con.execute(f"SELECT k FROM {name} GROUP BY k HAVING count(*) > 1 LIMIT 1").fetchone()
    if dup:
        raise BadFormat(f"{label} has the key {display_key(key, dup[0])} more than once",
                        hint="choose a unique key in .ldvattributes, or drop key= "
                             "to merge by position")


def _keyed(tables, key, st: MergeStats, max_conflicts: int, spill_dir: Path):
    con = duck.connect(spill_dir)
    try:
        empty = tables[OURS].table.schema.empty_table()
        for s, name in ((BASE, "b"), (OURS, "o"), (THEIRS, "t")):
            con.register(name, tables[s].table if s in tables else empty)
            _check_unique(con, name, LABELS[s], key)
        con.execute(f"""
            CREATE TEMP TABLE j AS
            SELECT k, bs, os, ts, cat, {_EMIT} AS src FROM (
              SELECT *, {_CATEGORY} AS cat FROM (
                SELECT coalesce(o.k, t.k, b.k) AS k, b.seq AS bs, b.h AS hb, o.seq AS os,
                       o.h AS ho, t.seq AS ts, t.h AS ht FROM b
                FULL JOIN o ON o.k = b.k
                FULL JOIN t ON t.k = coalesce(b.k, o.k)) AS x) AS y""")
        for cat, n in con.sql("SELECT cat, count(*) FROM j GROUP BY cat").fetchall():
            if cat.startswith("c:"):
                st.conflicts += n
            else:
                setattr(st, _STAT[cat], getattr(st, _STAT[cat]) + n)
        reader = con.sql("""
            SELECT src, CASE WHEN src = 1 THEN os ELSE ts END AS seq
            FROM j WHERE src IS NOT NULL
            ORDER BY os IS NULL, os, ts""").to_arrow_reader(WINDOW)
        runs = list(_runs(reader))
        conflicts = con.sql(f"""
            SELECT k, cat, bs, os, ts FROM j WHERE cat LIKE 'c:%'
            ORDER BY os IS NULL, os, ts LIMIT {int(max_conflicts)}""").fetchall()
    except duckdb.Error as e:
        raise LdvError(f"the record join failed in DuckDB: {e}",
                       hint="free memory or space in the temporary directory, "
                            "or merge this path with merge=text") from None
    finally:
        con.close()
    return runs, [(display_key(key, k), cat[2:], bs, os, ts) for k, cat, bs, os, ts in conflicts]


def _runs(reader: pa.RecordBatchReader):
    """Compress (src, seq) rows into (src, start, stop) runs of consecutive records."""
    cur = None
    for batch in reader:
        srcs = batch.column(0).to_pylist()
        seqs = batch.column(1).to_pylist()
        for s, q in zip(srcs, seqs):
            if cur and cur[0] == s and cur[2] == q:
                cur[2] = q + 1
            else:
                if cur:
                    yield tuple(cur)
                cur = [s, q, q + 1]
    if cur:
        yield tuple(cur)


# -- positional merge (no key) ------------------------------------------------------

def _positional(tables, st: MergeStats, max_conflicts: int):
    b, o, t = (tables[s].table.column("h").to_pylist() for s in (BASE, OURS, THEIRS))
    merged = sequence_merge(b, o, t)
    for name, n in merged.counts.items():
        setattr(st, name, n)
    st.conflicts = len(merged.conflicts)
    conflicts = []
    for c in merged.conflicts[:max_conflicts]:
        lo, hi = c.base
        label = f"@{lo + 1}" if hi - lo == 1 else f"@{lo + 1}-{hi}"
        kind = (DELETE_MODIFY if c.ours[0] == c.ours[1] else
                MODIFY_DELETE if c.theirs[0] == c.theirs[1] else MODIFY_MODIFY)
        conflicts.append((label, kind, c.base, c.ours, c.theirs))
    return merged.runs, conflicts


# -- output and conflict details ------------------------------------------------------

class _Window:
    """Reads records by (offset, length), through a window that suits forward scans."""

    def __init__(self, path: Path):
        self.f = open(path, "rb")
        self.start, self.buf = 0, b""

    def read(self, off: int, n: int) -> bytes:
        if not (self.start <= off and off + n <= self.start + len(self.buf)):
            self.f.seek(off)
            self.buf, self.start = self.f.read(max(n, WINDOW)), off
        return self.buf[off - self.start:off - self.start + n]

    def close(self) -> None:
        self.f.close()


def _write(out: Path, runs, tables, paths, fmt: str) -> int:
    if fmt == "parquet":
        return pq_side.write_parquet(out, runs, {OURS: paths[OURS], THEIRS: paths[THEIRS]},
                                     tables[OURS].schema)
    locs = {s: (t.table.column("off").to_numpy(), t.table.column("len").to_numpy())
            for s, t in tables.items()}
    readers = {s: _Window(paths[s]) for s in tables}
    written = 0
    try:
        with open(out, "wb") as f:
            if fmt == "csv" and tables[OURS].header is not None:
                f.write(tables[OURS].header + b"\n")
            for src, start, stop in runs:
                offs, lens = locs[src]
                r = readers[src]
                for off, n in zip(offs[start:stop].tolist(), lens[start:stop].tolist()):
                    f.write(r.read(off, n))
                    f.write(b"\n")
                written += stop - start
    finally:
        for r in readers.values():
            r.close()
    return written


def _fetch(tables, paths, fmt, side: int, seqs: set[int]) -> dict[int, bytes]:
    """Raw bytes (JSON for Parquet) of the records ``seqs`` of one side."""
    order = sorted(seqs)
    if not order or side not in tables:
        return {}
    if fmt == "parquet":
        return dict(zip(order, pq_side.row_json(paths[side], order)))
    t = tables[side].table
    offs, lens = t.column("off").to_numpy(), t.column("len").to_numpy()
    r = _Window(paths[side])
    try:
        return {i: r.read(int(offs[i]), int(lens[i])) for i in order}
    finally:
        r.close()


def _span(span) -> range:
    if span is None:
        return range(0)
    return range(span, span + 1) if isinstance(span, int) else range(*span)


def _details(conflicts, tables, paths, fmt) -> list[RecordConflict]:
    """Conflicts with both sides' records; ``span`` is a seq, a (start, stop) or None."""
    want = {s: set() for s in (BASE, OURS, THEIRS)}
    for _, _, *spans in conflicts:
        for s, span in zip((BASE, OURS, THEIRS), spans):
            want[s].update(_span(span))
    got = {s: _fetch(tables, paths, fmt, s, want[s]) for s in want}
    out = []
    for label, kind, *spans in conflicts:
        sides = [None if span is None or s not in tables else
                 b"\n".join(got[s][i] for i in _span(span))
                 for s, span in zip((BASE, OURS, THEIRS), spans)]
        out.append(RecordConflict(label, kind, *sides))
    return out


__all__ = ["merge_records", "ADD_ADD", "DELETE_MODIFY", "MODIFY_DELETE", "MODIFY_MODIFY",
           "SCHEMA"]
