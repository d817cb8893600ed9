"""Reading each file format as units to scan: lines of text, string fields of JSONL
records (with their JSON path), and string cells of CSV and Parquet columns.

Text and JSONL are read in large blocks cut at a newline and prefiltered per block;
only the lines where the prefilter fired are decoded (JSONL: parsed) and handed to
presidio.  A file of more than one block is scanned by ScanOptions.jobs forked
worker processes, a block each at a time (workers.py).  CSV and Parquet are read
in record batches and prefiltered one column at a time.
"""
from __future__ import annotations

import json
from pathlib import PurePosixPath

from ldv.plumbing.errors import BadFormat

from .scanner import (Finding, Scanner, hit_line_starts, hit_lines, hit_values,
                      unescape_for_prefilter)

BLOCK = 4 << 20                     # a worker's unit of work (workers.py)
JSONL_SUFFIXES = {".jsonl", ".ndjson", ".jsonlines"}


def kind_of(path: str, head: bytes) -> str | None:
    """'jsonl' | 'csv' | 'parquet' | 'text', or None for a binary file (skipped)."""
    suffix = PurePosixPath(path).suffix.lower()
    if suffix in JSONL_SUFFIXES:
        return "jsonl"
    if suffix == ".csv":
        return "csv"
    if suffix == ".parquet" or head[:4] == b"PAR1":
        return "parquet"
    if b"\0" in head[:8192]:
        return None
    return "text"


def scan_stream(scanner: Scanner, f, path: str) -> list[Finding]:
    """Findings in one file read from the binary stream ``f``."""
    head = f.read(8192)
    f.seek(0)
    kind = kind_of(path, head)
    if kind is None:
        return []
    if kind in ("text", "jsonl"):
        return _scan_lines(scanner, f, path, kind == "jsonl")
    out: list[Finding] = []
    row0 = 0
    for batch in read_batches(f, kind, path):
        out.extend(_scan_table(scanner, batch, path, row0))
        row0 += batch.num_rows
    return out


def blocks(f):
    """(first line number, block) pairs: blocks end at a newline (or EOF)."""
    line, rest = 1, b""
    while True:
        data = f.read(BLOCK)
        if not data:
            break
        data = rest + data
        cut = data.rfind(b"\n") + 1
        if cut == 0:
            rest = data
            continue
        yield line, data[:cut]
        line += data.count(b"\n", 0, cut)
        rest = data[cut:]
    if rest:
        yield line, rest


def _scan_lines(scanner: Scanner, f, path: str, jsonl: bool) -> list[Finding]:
    from .workers import scan_blocks
    if jsonl:
        scanner.prepare(jsonl=True)
    return scan_blocks(scanner, blocks(f), path, jsonl)


def block_findings(scanner: Scanner, first: int, block: bytes, path: str,
                   jsonl: bool) -> list[Finding]:
    """Findings in one block of lines, the first of which is line ``first``."""
    if scanner.scan_all:
        lines = block.split(b"\n")
        units = [(i, raw, None) for i, raw in enumerate(lines)]
    else:
        pre = unescape_for_prefilter(block) if jsonl else block
        hits = hit_line_starts(scanner, pre, jsonl)
        if not hits:
            return []
        if pre is block:            # the offsets are the block's own: no split
            units = [(i, _line_at(block, start), ents)
                     for i, (start, ents) in sorted(hits.items())]
        else:
            lines = block.split(b"\n")
            units = [(i, lines[i], ents) for i, (_, ents) in sorted(hits.items())]
    if jsonl:
        return _scan_records(scanner, [(first + i, raw) for i, raw, _ in units], path)
    out: list[Finding] = []
    for i, raw, ents in units:
        out.extend(scanner.findings(_decode(raw), path, first + i, None, ents or None))
    return out


def _line_at(block: bytes, start: int) -> bytes:
    end = block.find(b"\n", start)
    return block[start:] if end < 0 else block[start:end]


def prefiltered_blocks(scanner: Scanner, f, jsonl: bool):
    """(first line, block, {line index: entities}) for every block of ``f``."""
    if jsonl:
        scanner.prepare(jsonl=True)
    for first, block in blocks(f):
        if scanner.scan_all:
            yield first, block, all_lines(block)
        else:
            pre = unescape_for_prefilter(block) if jsonl else block
            yield first, block, hit_lines(scanner, pre, jsonl)


def all_lines(block: bytes) -> dict[int, set[str]]:
    return {i: set() for i in range(block.count(b"\n") + 1)}


def _decode(raw: bytes) -> str:
    return raw.rstrip(b"\r").decode("utf-8", "replace")


def _scan_records(scanner: Scanner, candidates, path: str) -> list[Finding]:
    """Parse the candidate lines and prefilter all their string fields in one scan,
    so a line that fired only on a key or a number costs one json.loads."""
    units: list[tuple[int, str | None, str]] = []
    for line, raw in candidates:
        try:
            record = json.loads(raw)
        except ValueError:
            # Not JSON: still scan it, as text, rather than let PII through.
            units.append((line, None, _decode(raw)))
            continue
        units.extend((line, jpath, value) for jpath, value in strings(record))
    hits = {i: set() for i in range(len(units))} if scanner.scan_all \
        else hit_values(scanner, [u[2] for u in units])
    out: list[Finding] = []
    for i in sorted(hits):
        line, jpath, value = units[i]
        out.extend(scanner.findings(value, path, line, jpath, hits[i] or None))
    return out


def strings(value, path: str = "$"):
    """(JSON path, string) for every string value in a decoded JSON document."""
    if isinstance(value, str):
        yield path, value
    elif isinstance(value, dict):
        for k, v in value.items():
            yield from strings(v, f"{path}.{k}" if _plain(k) else f"{path}[{json.dumps(k)}]")
    elif isinstance(value, (list, tuple)):
        for i, v in enumerate(value):
            yield from strings(v, f"{path}[{i}]")


def _plain(key: str) -> bool:
    return key.isidentifier()


# -- tables ---------------------------------------------------------------------

def read_table(f, kind: str, path: str):
    """A pyarrow Table; CSV columns are all read as strings (a card number in a CSV
    is text, whatever type inference would make of it)."""
    import pyarrow as pa
    import pyarrow.csv as pcsv
    import pyarrow.parquet as pq
    try:
        if kind == "parquet":
            return pq.read_table(f)
        names = pcsv.open_csv(f).schema.names
        f.seek(0)
        opts = pcsv.ConvertOptions(column_types={n: pa.string() for n in names},
                                   strings_can_be_null=False, quoted_strings_can_be_null=False)
        return pcsv.read_csv(f, convert_options=opts)
    except (pa.ArrowInvalid, OSError) as e:
        raise BadFormat(f"{path}: not a readable {kind.upper()} file ({_first_line(e)})",
                        hint="check the file, or rename it if it is not "
                        f"{kind.upper()}") from None


BATCH_ROWS = 64 << 10                # Parquet rows per batch
CSV_BLOCK = 4 << 20                  # CSV bytes per batch


def read_batches(f, kind: str, path: str):
    """pyarrow RecordBatches of the file, read as they are scanned (memory: one
    batch, plus a Parquet row group); CSV columns all as strings, as read_table."""
    import pyarrow as pa
    import pyarrow.csv as pcsv
    import pyarrow.parquet as pq
    try:
        if kind == "parquet":
            reader = pq.ParquetFile(f).iter_batches(batch_size=BATCH_ROWS)
        else:
            names = pcsv.open_csv(f).schema.names
            f.seek(0)
            opts = pcsv.ConvertOptions(column_types={n: pa.string() for n in names},
                                       strings_can_be_null=False,
                                       quoted_strings_can_be_null=False)
            reader = pcsv.open_csv(f, convert_options=opts,
                                   read_options=pcsv.ReadOptions(block_size=CSV_BLOCK))
        for batch in reader:
            yield batch
    except (pa.ArrowInvalid, OSError) as e:
        raise BadFormat(f"{path}: not a readable {kind.upper()} file ({_first_line(e)})",
                        hint="check the file, or rename it if it is not "
                        f"{kind.upper()}") from None


def _first_line(e: Exception) -> str:
    """pyarrow's message without the row it may quote ("Expected 2 columns, got 1:
    <the row>"; a value there is the very PII the scan must not print)."""
    import re
    text = str(e).splitlines()[0] if str(e) else ""
    text = re.sub(r"(got \d+):.*", r"\1", text)        # pyarrow's CSV column-count error
    text = re.split(r"['\"]", text, maxsplit=1)[0].rstrip(" :")    # any other quoted value
    return text[:80] or type(e).__name__


def scannable_columns(table):
    """(index, name, values as str or None) for string and integer columns."""
    import pyarrow as pa
    for i, fld in enumerate(table.schema):
        t = fld.type
        if pa.types.is_string(t) or pa.types.is_large_string(t):
            yield i, fld.name, table.column(i).to_pylist()
        elif pa.types.is_integer(t):
            yield i, fld.name, [None if v is None else str(v)
                                for v in table.column(i).to_pylist()]


def _scan_table(scanner: Scanner, table, path: str, row0: int = 0) -> list[Finding]:
    """Findings in a Table or RecordBatch whose first row is data row ``row0 + 1``."""
    out: list[Finding] = []
    for _, name, values in scannable_columns(table):
        texts = ["" if v is None else v for v in values]
        hits = {i: set() for i in range(len(texts))} if scanner.scan_all \
            else hit_values(scanner, texts)
        for row in sorted(hits):
            out.extend(scanner.findings(texts[row], path, row0 + row + 1, name,
                                        hits[row] or None))
    for _, name, rows in nested_columns(table):
        # Lists and structs (chat `messages`): every string inside, by its path.
        units = [(r, p, v) for r, value in enumerate(rows) for p, v in strings(value, name)]
        hits = {i: set() for i in range(len(units))} if scanner.scan_all \
            else hit_values(scanner, [u[2] for u in units])
        for i in sorted(hits):
            row, field_, value = units[i]
            out.extend(scanner.findings(value, path, row0 + row + 1, field_, hits[i] or None))
    return out


def nested_columns(table):
    """(index, name, rows as Python values) for list, struct and map columns."""
    import pyarrow as pa
    for i, fld in enumerate(table.schema):
        t = fld.type
        if pa.types.is_nested(t):
            yield i, fld.name, table.column(i).to_pylist()
