"""``ldv sql``: DuckDB SQL over any committed version, through ``ldv://REV/PATH``.

    run_sql(repo, "SELECT lang, count(*) FROM 'ldv://main/data/train.parquet' "
                  "GROUP BY ALL", sink, fmt="csv")

The result streams from DuckDB as Arrow record batches into ``sink`` (a binary
file) as an aligned text table, CSV, JSON Lines or Parquet; only the text table
holds rows in memory (at most ``max_rows``).  Reads decrypt only the chunks the
query touches; ldv writes no temporary file (DuckDB may spill its own).
"""
from __future__ import annotations

import json
import re
from typing import BinaryIO

import duckdb

from ldv.plumbing.errors import BadInput, UsageError

from .revfs import RevisionFileSystem
from .rowdiff.values import jsonable

FORMATS = ("text", "csv", "json", "parquet")
BATCH_ROWS = 65_536


def run_sql(repo, query: str, sink: BinaryIO, fmt: str = "text", *,
            threads: int | None = None, max_rows: int = 1000) -> int:
    """Run ``query`` and write its result to ``sink``; return the row count written."""
    if fmt not in FORMATS:
        raise UsageError(f"unknown output format {fmt!r}", hint="use " + ", ".join(FORMATS))
    con = duckdb.connect(":memory:", config={"threads": threads} if threads else {})
    try:
        fs = RevisionFileSystem(repo)
        con.register_filesystem(fs)
        try:
            rel = con.sql(query)
            if rel is None:  # a statement without a result (SET, COPY ... TO)
                return 0
            return _WRITERS[fmt](rel.to_arrow_reader(BATCH_ROWS), sink, max_rows)
        except duckdb.Error as e:
            first = (str(e).strip().splitlines() or [type(e).__name__])[0]
            why = _missing_reason(fs, first)
            if why:
                raise BadInput(f"query failed: {why}",
                               hint="`ldv log` lists revisions, `ldv ls-tree -r REV` "
                                    "the files of one") from e
            raise BadInput(f"query failed: {first}",
                           hint="check the SQL; files are 'ldv://REV/PATH'") from e
    finally:
        con.close()


def _missing_reason(fs: RevisionFileSystem, message: str) -> str | None:
    """Why the ldv:// URL DuckDB found no file for does not resolve (no such
    revision, or no such path in it), instead of DuckDB's "No files found"."""
    m = _NO_FILES.search(message)
    if not m:
        return None
    try:
        fs.info(m.group(1))
    except FileNotFoundError as e:
        return str(e)
    return None


_NO_FILES = re.compile(r'No files found that match the pattern "(ldv://[^"]+)"')


def _write_batches(writer, reader) -> int:
    n = 0
    with writer:
        for batch in reader:
            writer.write_batch(batch)
            n += batch.num_rows
    return n


def _csv(reader, sink, _max) -> int:
    import pyarrow.csv as pacsv
    return _write_batches(pacsv.CSVWriter(sink, reader.schema), reader)


def _parquet(reader, sink, _max) -> int:
    import pyarrow.parquet as pq
    return _write_batches(pq.ParquetWriter(sink, reader.schema), reader)


def _jsonl(reader, sink, _max) -> int:
    n = 0
    for batch in reader:
        for row in batch.to_pylist():
            sink.write((json.dumps(jsonable(row), ensure_ascii=False) + "\n").encode())
            n += 1
    return n


def _text(reader, sink, max_rows: int) -> int:
    names = reader.schema.names
    rows, more = [], False
    for batch in reader:
        for row in batch.to_pylist():
            if len(rows) == max_rows:
                more = True
                break
            rows.append(["NULL" if v is None else str(jsonable(v)) for v in row.values()])
        if more:
            break
    widths = [max([len(h)] + [len(r[i]) for r in rows]) for i, h in enumerate(names)]
    lines = [" | ".join(h.ljust(w) for h, w in zip(names, widths)),
             "-+-".join("-" * w for w in widths)]
    lines += [" | ".join(c.ljust(w) for c, w in zip(r, widths)) for r in rows]
    lines.append(f"({len(rows)} row{'s' if len(rows) != 1 else ''}"
                 f"{', more not shown: use --format csv' if more else ''})")
    sink.write(("\n".join(lines) + "\n").encode())
    return len(rows)


_WRITERS = {"text": _text, "csv": _csv, "json": _jsonl, "parquet": _parquet}
