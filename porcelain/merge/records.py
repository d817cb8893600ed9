"""Record tables: one streaming pass over a file, keeping only what a merge joins on.

For every record a table row holds ``seq`` (0-based record number), ``h`` (a 16-byte
BLAKE2b digest of the record's raw bytes, or of its values for Parquet) and, when a
key is configured, ``k`` (the key as canonical JSON of its values).  JSONL and CSV
rows also hold ``off``/``len``, where the raw record lies in the file, so the merged
file is written by copying bytes and every untouched record stays byte-identical.
The raw bytes themselves are never held all at once: a 1M-record version is a few
tens of MB of Arrow columns.

A JSONL record is a non-blank line (without its ``\\n``; a ``\\r`` stays part of it).
A CSV record is a row, which spans lines while a quoted field is open; the first
row is the header.  A Parquet record is a row; its digest covers every column.
"""
from __future__ import annotations

import csv
import hashlib
import io
import json
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa

from ldv.plumbing.errors import BadFormat

BATCH = 65536
READ_BYTES = 1 << 22
MAX_ROW = 64 << 20        # a CSV row longer than this is an unbalanced quote
_SCHEMA_FIELDS = [("seq", pa.int64()), ("off", pa.int64()), ("len", pa.int64()),
                  ("h", pa.binary(16))]


@dataclass
class RecordTable:
    """The scan of one version of a file."""

    label: str                      # "base", "ours", "theirs" (for messages)
    path: Path
    table: pa.Table                 # seq, off, len, h[, k]
    header: bytes | None = None     # CSV: raw header row; Parquet: schema text
    schema: pa.Schema | None = None  # Parquet only
    columns: list[str] | None = None

    @property
    def count(self) -> int:
        return self.table.num_rows


_encode_str = json.encoder.encode_basestring     # C-accelerated JSON string form


def _canon_value(v) -> str:
    t = type(v)
    if t is str:
        return _encode_str(v)
    if t is int:
        return str(v)
    return json.dumps(v, separators=(",", ":"), sort_keys=True, ensure_ascii=False,
                      default=str)


def canonical_key(values: list) -> str:
    """A key's identity: the compact JSON of its values (equal values and types give
    equal strings; "1" and 1 differ)."""
    return "[" + ",".join(map(_canon_value, values)) + "]"


def display_key(key: tuple[str, ...], canonical: str) -> str:
    """``id=7`` or ``(a=1, b="x")`` for messages."""
    values = json.loads(canonical)
    parts = [f"{k}={json.dumps(v, ensure_ascii=False)}" for k, v in zip(key, values)]
    return parts[0] if len(parts) == 1 else "(" + ", ".join(parts) + ")"


class _Builder:
    """Accumulates rows in Python lists and flushes them as Arrow batches."""

    def __init__(self, keyed: bool):
        self.keyed = keyed
        self.cols: dict[str, list] = {n: [] for n, _ in _SCHEMA_FIELDS}
        if keyed:
            self.cols["k"] = []
        self.batches: list[pa.RecordBatch] = []
        self.seq = 0

    def add_many(self, offs: list[int], raws: list[bytes], keys: list[str] | None) -> None:
        c, n = self.cols, len(raws)
        c["seq"].extend(range(self.seq, self.seq + n))
        c["off"].extend(offs)
        c["len"].extend(map(len, raws))
        b2 = hashlib.blake2b        # the record digest: BLAKE2b-128 of its raw bytes
        c["h"].extend([b2(r, digest_size=16).digest() for r in raws])
        if self.keyed:
            c["k"].extend(keys)
        self.seq += n
        if len(c["seq"]) >= BATCH:
            self.flush()

    def _schema(self) -> pa.Schema:
        fields = list(_SCHEMA_FIELDS) + ([("k", pa.string())] if self.keyed else [])
        return pa.schema(fields)

    def flush(self) -> None:
        if not self.cols["seq"]:
            return
        schema = self._schema()
        arrays = [pa.array(self.cols[f.name], type=f.type) for f in schema]
        self.batches.append(pa.RecordBatch.from_arrays(arrays, schema=schema))
        for v in self.cols.values():
            v.clear()

    def table(self) -> pa.Table:
        self.flush()
        return pa.Table.from_batches(self.batches, schema=self._schema())


def _lookup(obj, field: str, where: str):
    """A top-level field, or a dotted path into nested objects."""
    if isinstance(obj, dict) and field in obj:
        return obj[field]
    cur = obj
    for part in field.split("."):
        if not isinstance(cur, dict) or part not in cur:
            raise BadFormat(f"{where} has no field {field!r}",
                            hint="every record needs the key fields set in .ldvattributes")
        cur = cur[part]
    return cur


def _jsonl_key(raw: bytes, key: tuple[str, ...], where: str) -> str:
    try:
        obj = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as e:
        raise BadFormat(f"{where} is not JSON: {e}",
                        hint="fix the record or merge with merge=text") from None
    return canonical_key([_lookup(obj, fld, where) for fld in key])


def _jsonl_keys(raws: list[bytes], key: tuple[str, ...], where) -> list[str]:
    """Keys of a batch of records; the fast path covers one top-level field."""
    if len(key) == 1:
        loads, fld = json.loads, key[0]
        try:
            return ["[" + _canon_value(loads(r.decode("utf-8"))[fld]) + "]" for r in raws]
        except (ValueError, KeyError, TypeError, IndexError):
            pass        # the careful path below says which record and why
    return [_jsonl_key(r, key, where(i)) for i, r in enumerate(raws)]


def scan_jsonl(path: Path, label: str, key: tuple[str, ...] | None) -> RecordTable:
    b = _Builder(key is not None)
    off = 0
    with open(path, "rb") as f:
        while True:
            lines = f.readlines(READ_BYTES)
            if not lines:
                break
            offs, raws = [], []
            for line in lines:
                raw = line[:-1] if line.endswith(b"\n") else line
                if raw and not raw.isspace():
                    offs.append(off)
                    raws.append(raw)
                off += len(line)
            keys = None
            if key is not None:
                first = b.seq + 1
                keys = _jsonl_keys(raws, key,
                                   lambda i: f"{label} {path.name} record {first + i}")
            b.add_many(offs, raws, keys)
    return RecordTable(label, path, b.table())


def iter_csv_rows(f, max_row: int = MAX_ROW):
    """Yield (offset, raw) per CSV row; a row continues while a quote is open."""
    off, start, buf, quotes, size = 0, 0, [], 0, 0
    for line in f:
        if not buf:
            start, size = off, 0
        buf.append(line)
        quotes += line.count(b'"')
        off += len(line)
        size += len(line)
        if quotes % 2 and size > max_row:
            raise BadFormat(f"a quoted CSV field opened at byte {start} is still open "
                            f"{size} bytes later", hint="look for an unbalanced '\"'")
        if quotes % 2 == 0:
            raw = b"".join(buf)
            yield start, raw[:-1] if raw.endswith(b"\n") else raw
            buf, quotes = [], 0
    if buf:
        # An unterminated quote runs to the end of the file, as csv readers see it.
        yield start, b"".join(buf)


def parse_csv_row(raw: bytes, where: str) -> list[str]:
    try:
        rows = list(csv.reader(io.StringIO(raw.decode("utf-8"), newline="")))
    except (UnicodeDecodeError, csv.Error) as e:
        raise BadFormat(f"{where} is not a CSV row: {e}", hint="save the file as UTF-8 CSV") \
            from None
    return rows[0] if rows else []


def _csv_keys(raws: list[bytes], idx: list[int], where) -> list[str]:
    """Keys of a batch of rows, parsed by one csv.reader over the whole batch; any
    doubt (a row that does not parse alone) falls back to row-by-row messages."""
    try:
        text = b"\n".join(raws).decode("utf-8")
        rows = list(csv.reader(io.StringIO(text, newline="")))
        if len(rows) == len(raws):
            return [canonical_key([r[i] for i in idx]) for r in rows]
    except (UnicodeDecodeError, csv.Error, IndexError):
        pass
    keys = []
    for n, raw in enumerate(raws):
        row = parse_csv_row(raw, where(n))
        if len(row) <= max(idx):
            raise BadFormat(f"{where(n)} is too short", hint="every row needs the key columns")
        keys.append(canonical_key([row[i] for i in idx]))
    return keys


def _csv_header(raw: bytes, label: str, path: Path, key) -> tuple[list[str], list[int] | None]:
    columns = parse_csv_row(raw, f"{label} {path.name} header")
    if key is None:
        return columns, None
    missing = [k for k in key if k not in columns]
    if missing:
        raise BadFormat(f"{label} {path.name} has no column {missing[0]!r}",
                        hint="set key= to columns of the CSV header")
    return columns, [columns.index(k) for k in key]


def scan_csv(path: Path, label: str, key: tuple[str, ...] | None) -> RecordTable:
    b = _Builder(key is not None)
    header, columns, idx = None, None, None
    offs: list[int] = []
    raws: list[bytes] = []

    def flush():
        first = b.seq + 1
        keys = _csv_keys(raws, idx, lambda n: f"{label} {path.name} row {first + n}") \
            if idx is not None else None
        b.add_many(offs, raws, keys)
        offs.clear()
        raws.clear()

    with open(path, "rb") as f:
        for off, raw in iter_csv_rows(f):
            if header is None:
                header = raw
                columns, idx = _csv_header(raw, label, path, key)
            elif raw and not raw.isspace():
                offs.append(off)
                raws.append(raw)
                if len(raws) >= BATCH:
                    flush()
    flush()
    return RecordTable(label, path, b.table(), header=header, columns=columns)


def scan(path: Path, label: str, fmt: str, key: tuple[str, ...] | None,
         spill_dir: Path | None = None) -> RecordTable:
    if fmt == "jsonl":
        return scan_jsonl(path, label, key)
    if fmt == "csv":
        return scan_csv(path, label, key)
    if fmt == "parquet":
        from .parquet import scan_parquet
        return scan_parquet(path, label, key, spill_dir or path.parent)
    raise BadFormat(f"unknown record format {fmt!r}", hint="use jsonl, csv or parquet")
