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


def scan_parquet(path: Path, label: str, key: tuple[str, ...] | None) -> RecordTable:
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
    con = duckdb.connect()
    try:
        table = con.sql(sql, params=[str(path)]).to_arrow_table()
    except duckdb.Error as e:
        raise BadFormat(f"{label} {path.name} could not be read: {e}",
                        hint="check the file or set format= in .ldvattributes") from None
    finally:
        con.close()
    return RecordTable(label, path, table, header=str(schema).encode(), schema=schema,
                       columns=cols)


def row_json(path: Path, seqs: list[int]) -> list[bytes]:
    """Rows ``seqs`` of a file as JSON text, for conflict reports."""
    if not seqs:
        return []
    table = pq.read_table(path, memory_map=True)
    rows = table.take(pa.array(seqs, pa.int64())).to_pylist()
    return [json.dumps(r, default=str, ensure_ascii=False).encode() for r in rows]


def write_parquet(out: Path, runs, sources: dict[int, Path], schema: pa.Schema) -> int:
    """Write the rows named by ``runs`` ((src, start, stop) ranges) to ``out``."""
    tables = {s: pq.read_table(p, memory_map=True) for s, p in sources.items()}
    order = sorted(tables)
    offsets, at = {}, 0
    for s in order:
        offsets[s] = at
        at += tables[s].num_rows
    target = pq.read_schema(sources[order[0]])
    combined = pa.concat_tables([tables[s].cast(target) for s in order])
    written = 0
    with pq.ParquetWriter(out, target) as w:
        pending: list[int] = []
        for src, start, stop in runs:
            base = offsets[src]
            pending.extend(range(base + start, base + stop))
            while len(pending) >= WRITE_CHUNK:
                w.write_table(combined.take(pa.array(pending[:WRITE_CHUNK], pa.int64())))
                written += WRITE_CHUNK
                del pending[:WRITE_CHUNK]
        if pending or not written:
            w.write_table(combined.take(pa.array(pending, pa.int64())))
            written += len(pending)
    return written
