"""Anonymized copies: replace what the scanner finds, keep format and schema.

Operators (``--anonymize``):
  mask     every character of the value becomes `*` (length kept)
  redact   the value is removed
  replace  the value becomes `<ENTITY_TYPE>`
  hash     the value becomes `<ENTITY_TYPE:16 hex>`, an HMAC-SHA256 under a key
           derived (HKDF) from the repository's id key: the same value gives the
           same token in every file and every version, and nobody without the
           repository's keys can test a guess against it
"""
from __future__ import annotations

import hashlib
import hmac
import io
import json
from dataclasses import dataclass
from pathlib import Path

from ldv.plumbing.errors import BadInput

from .formats import (kind_of, nested_columns, prefiltered_blocks, read_batches,
                      read_table, scannable_columns, strings)
from .scanner import Scanner, Span, hit_values

OPERATORS = ("mask", "redact", "replace", "hash")


def hash_key(id_key: bytes) -> bytes:
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.kdf.hkdf import HKDF
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None,
                info=b"ldv pii hash v1").derive(id_key)


@dataclass
class Anonymizer:
    scanner: Scanner
    operator: str
    key: bytes = b""

    def __post_init__(self):
        if self.operator not in OPERATORS:
            raise BadInput(f"unknown anonymizer {self.operator!r}",
                           hint="use one of " + ", ".join(OPERATORS))

    def token(self, entity: str, value: str) -> str:
        if self.operator == "mask":
            return "*" * len(value)
        if self.operator == "redact":
            return ""
        if self.operator == "replace":
            return f"<{entity}>"
        digest = hmac.new(self.key, value.encode("utf-8", "surrogatepass"),
                          hashlib.sha256).hexdigest()[:16]
        return f"<{entity}:{digest}>"

    def text(self, text: str, entities: set[str] | None = None) -> str:
        """``text`` with every span replaced (overlaps merged, best score wins)."""
        spans = merge(self.scanner.spans(text, entities))
        for s in reversed(spans):
            text = text[:s.start] + self.token(s.entity, text[s.start:s.end]) + text[s.end:]
        return text


def merge(spans: list[Span]) -> list[Span]:
    """Non-overlapping spans covering all of ``spans``; a merged span takes the
    entity of its highest-scoring (then longest) part."""
    out: list[Span] = []
    for s in sorted(spans, key=lambda s: (s.start, -s.end)):
        if out and s.start < out[-1].end:
            last = out[-1]
            best = max((last, s), key=lambda x: (x.score, x.end - x.start))
            out[-1] = Span(best.entity, last.start, max(last.end, s.end), best.score,
                           best.recognizer)
        else:
            out.append(s)
    return out


# -- files ----------------------------------------------------------------------

def anonymize_stream(anon: Anonymizer, f, path: str, dest: Path) -> str:
    """Write the anonymized ``f`` to ``dest``; returns the kind ('binary': copied)."""
    head = f.read(8192)
    f.seek(0)
    kind = kind_of(path, head)
    dest.parent.mkdir(parents=True, exist_ok=True)
    with open(dest, "wb") as w:
        if kind is None:
            _copy(f, w)
            return "binary"
        if kind in ("text", "jsonl"):
            _lines(anon, f, w, kind == "jsonl")
            return kind
    _tables(anon, f, kind, path, dest)
    return kind


def _copy(f, w) -> None:
    while chunk := f.read(1 << 20):
        w.write(chunk)


def _lines(anon: Anonymizer, f, w, jsonl: bool) -> None:
    for _, block, hits in prefiltered_blocks(anon.scanner, f, jsonl):
        if not hits:
            w.write(block)
            continue
        lines = block.split(b"\n")
        for i in hits:
            lines[i] = (_record(anon, lines[i]) if jsonl else
                        _text_line(anon, lines[i], hits[i] or None))
        w.write(b"\n".join(lines))


def _text_line(anon: Anonymizer, raw: bytes, entities) -> bytes:
    cr = raw.endswith(b"\r")
    text = raw[:-1] if cr else raw
    try:
        s = text.decode("utf-8")
    except UnicodeDecodeError:
        s = text.decode("utf-8", "surrogateescape")   # keeps undecodable bytes as they were
    new = anon.text(s, entities)
    if new == s:
        return raw
    return new.encode("utf-8", "surrogateescape") + (b"\r" if cr else b"")


def _record(anon: Anonymizer, raw: bytes) -> bytes:
    try:
        record = json.loads(raw)
    except ValueError:
        return _text_line(anon, raw, None)
    changed = False

    def fix(value):
        nonlocal changed
        if isinstance(value, str):
            new = anon.text(value)
            changed |= new != value
            return new
        if isinstance(value, dict):
            return {k: fix(v) for k, v in value.items()}
        if isinstance(value, list):
            return [fix(v) for v in value]
        return value
    new = fix(record)
    # Untouched records keep their exact bytes; changed ones are re-serialized.
    return json.dumps(new, ensure_ascii=False).encode() if changed else raw


def _tables(anon: Anonymizer, f, kind: str, path: str, dest: Path) -> None:
    """Anonymize a CSV or Parquet file a record batch at a time (read_batches), so
    memory holds one batch, not the file."""
    import pyarrow as pa
    writer = None
    try:
        for batch in read_batches(f, kind, path):
            table = _table(anon, pa.Table.from_batches([batch]))
            if writer is None:
                writer = _writer(kind, dest, table.schema)
            writer.write_table(table)
    finally:
        if writer is not None:
            writer.close()
    if writer is None:              # no rows: the header or schema alone
        f.seek(0)
        _write(kind, dest, read_table(f, kind, path))


def _writer(kind: str, dest: Path, schema):
    if kind == "parquet":
        import pyarrow.parquet as pq
        return pq.ParquetWriter(dest, schema)
    import pyarrow.csv as pcsv
    return pcsv.CSVWriter(dest, schema)


def _write(kind: str, dest: Path, table) -> None:
    if kind == "parquet":
        import pyarrow.parquet as pq
        pq.write_table(table, dest)
    else:
        import pyarrow.csv as pcsv
        pcsv.write_csv(table, dest)


def _table(anon: Anonymizer, table):
    """``table`` with its findings anonymized (same schema)."""
    import pyarrow as pa
    for i, name, values in list(scannable_columns(table)):
        texts = ["" if v is None else v for v in values]
        hits = {j: set() for j in range(len(texts))} if anon.scanner.scan_all \
            else hit_values(anon.scanner, texts)
        if not hits:
            continue
        fld = table.schema.field(i)
        is_text = pa.types.is_string(fld.type) or pa.types.is_large_string(fld.type)
        new = list(table.column(i).to_pylist())
        for j in hits:
            if values[j] is None:
                continue
            out = anon.text(texts[j], hits[j] or None)
            if out != texts[j]:
                # A number column keeps its type: a found value becomes null.
                new[j] = out if is_text else None
        table = table.set_column(i, fld, pa.array(new, type=fld.type))
    for i, _, rows in list(nested_columns(table)):
        fld = table.schema.field(i)
        new_rows = [_fix_nested(anon, v) for v in rows]
        if new_rows != rows:
            table = table.set_column(i, fld, pa.array(new_rows, type=fld.type))
    return table


def _fix_nested(anon: Anonymizer, value):
    """``value`` with every string inside anonymized (maps arrive as (k, v) pairs)."""
    if isinstance(value, str):
        return anon.text(value) if anon.scanner.scan_all or \
            anon.scanner.entities_hit(value.encode("utf-8", "surrogatepass")) else value
    if isinstance(value, dict):
        return {k: _fix_nested(anon, v) for k, v in value.items()}
    if isinstance(value, list):
        return [_fix_nested(anon, v) for v in value]
    if isinstance(value, tuple):
        return tuple(_fix_nested(anon, v) for v in value)
    return value


def anonymize_bytes(anon: Anonymizer, data: bytes, path: str, dest: Path) -> str:
    return anonymize_stream(anon, io.BytesIO(data), path, dest)


__all__ = ["Anonymizer", "OPERATORS", "anonymize_stream", "hash_key", "merge", "strings"]
