"""Tabular file formats and how DuckDB reads them.

A *source* is a local path, a URL of a registered fsspec filesystem (such as
``ldv://REV/PATH``), or a binary file-like object with ``seek``/``read``.  Paths
and URLs go to DuckDB's own readers; file-like objects are served to DuckDB
through a small fsspec filesystem with random access, so nothing is copied to a
temporary file and no rows are materialized in Python.
"""
from __future__ import annotations

import contextlib
import datetime
import io
import os
import re
import threading
from pathlib import PurePosixPath

import duckdb
import fsspec
from fsspec.spec import AbstractBufferedFile

from ldv.plumbing.errors import BadFormat, LdvError, UsageError

FORMATS = ("parquet", "csv", "jsonl")
_EXTENSIONS = {
    ".parquet": "parquet", ".pq": "parquet", ".parq": "parquet",
    ".csv": "csv", ".tsv": "csv",
    ".jsonl": "jsonl", ".ndjson": "jsonl", ".json": "jsonl",
}
_COMPRESSION = {".gz", ".zst", ".zstd"}
_EPOCH = datetime.datetime(1970, 1, 1, tzinfo=datetime.timezone.utc)


def display_name(source) -> str:
    """A name for messages: the path, the URL, or the file object's name."""
    if isinstance(source, (str, os.PathLike)):
        return os.fspath(source)
    return str(getattr(source, "name", None) or "<stream>")


def detect_format(source, fmt: str | None = None) -> str:
    """The format of ``source``: ``fmt`` when given, else from its extension."""
    if fmt is not None:
        if fmt not in FORMATS:
            raise UsageError(f"unknown tabular format {fmt!r}",
                             hint="use one of: " + ", ".join(FORMATS))
        return fmt
    suffixes = [s.lower() for s in PurePosixPath(display_name(source)).suffixes]
    while suffixes and suffixes[-1] in _COMPRESSION:
        suffixes.pop()
    found = _EXTENSIONS.get(suffixes[-1]) if suffixes else None
    if found is None:
        raise BadFormat(f"cannot tell the tabular format of {display_name(source)}",
                        hint="name it .parquet, .csv or .jsonl, or pass --format")
    return found


def is_tabular(path: str) -> bool:
    """True when ``path`` has an extension the row diff understands."""
    try:
        detect_format(path)
    except BadFormat:
        return False
    return True


@contextlib.contextmanager
def duckdb_errors(what: str):
    """Turn DuckDB's exceptions into ldv's typed errors with a one-line message."""
    try:
        yield
    except duckdb.OutOfMemoryException as e:
        raise LdvError(f"{what}: DuckDB ran out of memory",
                       hint="raise the memory limit or diff fewer columns") from e
    except duckdb.Error as e:
        first = str(e).strip().splitlines()[0].strip() if str(e).strip() else type(e).__name__
        raise BadFormat(f"{what}: {first}",
                        hint="check that the file is valid and its format right") from e


def quote_ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def quote_str(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def reader_sql(url: str, fmt: str) -> str:
    """The table function that reads ``url`` in ``fmt``, detecting the schema
    (for CSV and JSONL, at every query that reads it: see ``bound_reader``)."""
    if fmt == "parquet":
        return f"read_parquet({quote_str(url)})"
    if fmt == "csv":
        # Sniff types over the whole file: a sample could miss a value that
        # would fail to convert halfway through the real scan.
        return f"read_csv({quote_str(url)}, sample_size=-1)"
    return (f"read_json({quote_str(url)}, format='newline_delimited', "
            f"sample_size=-1)")


_SNIFFED_OPTIONS = ", auto_detect=false"
_TEMPORAL = re.compile(r"\b(DATE|TIME|TIMESTAMP)", re.I)


def bound_reader(con, url: str, fmt: str) -> str:
    """``reader_sql`` with the schema detected once and written into the call.

    DuckDB binds ``read_csv``/``read_json`` at every query, and with
    ``sample_size=-1`` binding reads the whole file (~1 s per 80 MB): a diff
    runs several queries per version, so sniffing once saves a full read each.
    CSV: DuckDB's own ``sniff_csv`` prompt (dialect, header, types, formats),
    which reproduces what auto-detection reads.  JSONL: the detected columns and
    types, unless a date or time column is among them (its text format was
    detected too and is not spelled out); then the detecting reader stays."""
    if fmt == "csv":
        prompt = con.execute(f"SELECT Prompt FROM sniff_csv({quote_str(url)}, "
                             f"sample_size=-1)").fetchall()[0][0]
        at = prompt.find(_SNIFFED_OPTIONS)
        if prompt.startswith("FROM read_csv(") and at > 0:
            return f"read_csv({quote_str(url)}{prompt[at:].rstrip().rstrip(';')}"
    elif fmt == "jsonl":
        detect = reader_sql(url, fmt)
        cols = con.execute(f"DESCRIBE SELECT * FROM {detect}").fetchall()
        if cols and not any(_TEMPORAL.search(t) for _n, t, *_ in cols):
            spec = ", ".join(f"{quote_str(n)}: {quote_str(t)}" for n, t, *_ in cols)
            return (f"read_json({quote_str(url)}, format='newline_delimited', "
                    f"columns={{{spec}}})")
        return detect
    return reader_sql(url, fmt)


class StreamFS(fsspec.AbstractFileSystem):
    """Read-only fsspec filesystem over in-process file objects, for DuckDB.

    Each open file gets its own position; reads of the shared object happen
    under a lock, so DuckDB's parallel readers never interleave seek and read.
    """

    protocol = "ldvstream"
    cachable = False

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self._objects: dict[str, tuple[object, int, threading.Lock]] = {}

    def add(self, name: str, fileobj) -> str:
        """Expose ``fileobj`` under ``name``; returns the URL DuckDB should read."""
        size = fileobj.seek(0, io.SEEK_END)
        self._objects[name] = (fileobj, size, threading.Lock())
        return f"{self.protocol}://{name}"

    def _key(self, path: str) -> str:
        return self._strip_protocol(path).strip("/")

    def info(self, path, **kwargs):
        key = self._key(path)
        if key not in self._objects:
            raise FileNotFoundError(path)
        return {"name": key, "size": self._objects[key][1], "type": "file"}

    def modified(self, path):
        # DuckDB asks for it (caching); a stream has no mtime, and never changes
        # while the diff runs.
        self.info(path)
        return _EPOCH

    def ls(self, path, detail=True, **kwargs):
        key = self._key(path)
        names = [key] if key in self._objects else sorted(self._objects)
        return [self.info(n) for n in names] if detail else names

    def _open(self, path, mode="rb", block_size=None, autocommit=True,
              cache_options=None, **kwargs):
        if mode != "rb":
            raise PermissionError("StreamFS is read-only")
        return _StreamFile(self, self._key(path), mode="rb",
                           block_size=block_size or 1 << 20, cache_type="readahead")

    def read_range(self, key: str, start: int, end: int) -> bytes:
        fileobj, _, lock = self._objects[key]
        with lock:
            fileobj.seek(start)
            return fileobj.read(end - start)


class _StreamFile(AbstractBufferedFile):
    def _fetch_range(self, start, end):
        return self.fs.read_range(self.path, start, end)
