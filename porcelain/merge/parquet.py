"""Parquet side of the record merge: scan with DuckDB, write with pyarrow.

A row's digest is the MD5 of the MD5s of its columns' text forms (NULL marked
apart), computed by DuckDB without materialising rows in Python.  The merged file
is assembled with pyarrow ``take`` from ours and theirs and written with ours'
schema, so every row comes out value-identical with the same types.
"""
from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq

from ldv.plumbing.errors import BadFormat

from . import duck
from .records import RecordTable

WRITE_CHUNK = 65536


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def read_schema(path: Path, label: str) -> pa.Schema:
    try:
        return pq.read_schema(path).remove_metadata()
    except (pa.ArrowInvalid, OSError) as e:
        raise BadFormat(f"{label} {path.name} is not a Parquet file: {e}",
                        hint="check the file or set format= in .ldvattributes") from None


def scan_parquet(path: Path, label: str, key: tuple[str, ...] | None,
                 spill_dir: Path) -> RecordTable:
    schema = read_schema(path, label)
    cols = schema.names
    if key is not None:
        missing = [k for k in key if k not in cols]
        if missing:
            raise BadFormat(f"{label} {path.name} has no column {missing[0]!r}",
                            hint="set key= to columns of the Parquet schema")
    parts = ", ".join(f"coalesce(md5(CAST({_q(c)} AS VARCHAR)), '-')" for c in cols)
    select = [f"file_row_number AS seq", f"unhex(md5(concat_ws('|', {parts or repr('')}))) AS h"]
    if key is not None:
        ks = ", ".join(f"coalesce(to_json({_q(k)}), 'null')" for k in key)
        select.append(f"'[' || concat_ws(',', {ks}) || ']' AS k")
    sql = (f"SELECT {', '.join(select)} FROM read_parquet(?, file_row_number=true) "
           "ORDER BY seq")
    con = duck.connect(spill_dir)
    try:
        table = con.sql(sql, params=[str(path)]).to_arrow_table()
    except duckdb.Error as e:
        raise BadFormat(f"{label} {path.name} could not be read: {e}",
                        hint="check the file or set format= in .ldvattributes") from None
    finally:
        con.close()
    return RecordTable(label, path, table, header=str(schema).encode(), schema=schema,
                       columns=cols)


class RowSource:
    """Rows of one Parquet file by number, read forward in batches.

    Merge output asks for rows mostly in ascending order per file, so one batch is
    held at a time; a request behind the current batch restarts the scan, and after
    ``MAX_RESTARTS`` of those the whole table is read once instead.
    """

    MAX_RESTARTS = 8

    def __init__(self, path: Path, schema: pa.Schema):
        self.path, self.schema = path, schema
        self.restarts = 0
        self.table: pa.Table | None = None
        self._restart()

    def _restart(self) -> None:
        self.batches = pq.ParquetFile(self.path).iter_batches(batch_size=WRITE_CHUNK)
        self.start, self.batch = 0, None

    def _advance(self) -> bool:
        if self.batch is not None:
            self.start += self.batch.num_rows
        self.batch = next(self.batches, None)
        return self.batch is not None

    def take(self, start: int, stop: int) -> list[pa.Table]:
        """Rows [start, stop) as table slices in the target schema."""
        if self.table is not None:
            return [self.table.slice(start, stop - start)]
        if self.batch is None or start < self.start:
            if self.batch is not None:
                self.restarts += 1
            if self.restarts > self.MAX_RESTARTS:
                self.table = pq.read_table(self.path, memory_map=True).cast(self.schema)
                return self.take(start, stop)
            self._restart()
            self._advance()
        out = []
        while start < stop and self.batch is not None:
            end = self.start + self.batch.num_rows
            if start >= end:
                self._advance()
                continue
            hi = min(stop, end)
            piece = pa.Table.from_batches([self.batch.slice(start - self.start, hi - start)])
            out.append(piece.cast(self.schema))
            start = hi
        if start < stop:
            raise BadFormat(f"{self.path.name} has fewer rows than it had when scanned",
                            hint="do not change the files while they are merged")
        return out


def row_json(path: Path, seqs: list[int]) -> list[bytes]:
    """Rows ``seqs`` (ascending) of a file as JSON text, for conflict reports."""
    if not seqs:
        return []
    src = RowSource(path, read_schema(path, ""))
    rows = []
    for q in seqs:
        rows.extend(r for t in src.take(q, q + 1) for r in t.to_pylist())
    return [json.dumps(r, default=str, ensure_ascii=False).encode() for r in rows]


def write_parquet(out: Path, runs, sources: dict[int, Path], schema: pa.Schema) -> int:
    """Write the rows named by ``runs`` ((src, start, stop) ranges) to ``out``, with
    the schema (and metadata) of the first source, streaming."""
    target = pq.read_schema(sources[min(sources)])
    readers = {s: RowSource(p, target) for s, p in sources.items()}
    written, pending, npending = 0, [], 0
    with pq.ParquetWriter(out, target) as w:
        for src, start, stop in runs:
            for piece in readers[src].take(start, stop):
                pending.append(piece)
                npending += piece.num_rows
            if npending >= WRITE_CHUNK:
                w.write_table(pa.concat_tables(pending))
                written += npending
                pending, npending = [], 0
        if pending or not written:
            w.write_table(pa.concat_tables(pending) if pending else target.empty_table())
            written += npending
    return written
