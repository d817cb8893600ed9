"""Row-level diff of two versions of a tabular file, computed by DuckDB.

``diff_rows(old, new, key=[...])`` loads each version as a DuckDB view (no copy),
compares schemas, matches rows by key (keyed.py: one narrow join that also
computes the drift statistics) or as multisets of whole rows (multiset.py: one
grouping scan per version, into a temp table of its distinct rows when the drift
statistics are to be computed from it too; drift.py), and adds chat statistics
(drift.py).
Python sees aggregates and the handful of sampled rows, never the whole file.

DuckDB may spill its own temporary files when a join outgrows the memory limit
(``DiffOptions.temp_directory`` says where); ldv writes none itself.
"""
from __future__ import annotations

import contextlib
import os
from dataclasses import dataclass, replace
from typing import Callable, Sequence

import duckdb

from ldv.plumbing.errors import BadInput, UsageError

from . import drift, keyed, multiset
from .formats import (StreamFS, bound_reader, detect_format, display_name,
                      duckdb_errors)
from .model import Column, RowDiff, Side
from .schema import Loaded, compare_schemas


@dataclass(frozen=True)
class DiffOptions:
    """How to diff: format override, key columns, sample size, extras."""

    fmt: str | None = None
    key: Sequence[str] | None = None
    sample: int = 5
    drift: bool = True
    tokenizer: Callable[[str], int] | None = None
    threads: int | None = None
    memory_limit: str | None = None
    temp_directory: str | None = None
    filesystems: tuple = ()  # fsspec filesystems DuckDB should read (ldv://)
    names: tuple = (None, None)  # how to call (old, new) in messages and output
    progress: Callable[[str, int, int | None], None] | None = None  # (label, %, 100)


def diff_rows(old, new, opts: DiffOptions | None = None, **overrides) -> RowDiff:
    """Diff two versions of a Parquet, CSV or JSONL file.

    ``old`` or ``new`` may be None for a file that was added or deleted; then
    every row of the other version counts as added or removed.
    """
    opts = _checked(replace(opts or DiffOptions(), **overrides))
    if old is None and new is None:
        raise UsageError("nothing to diff: both versions are missing")
    name = opts.names[1] or opts.names[0] or display_name(new if new is not None else old)
    with session(opts) as con:
        streams = StreamFS()
        con.register_filesystem(streams)
        with _phase(con, opts.progress, f"row diff {name}: reading"):
            o, n = _load_pair(con, old, new, opts, streams)
        schema = compare_schemas(o, n)
        where = f"diff of {o.side.path} and {n.side.path}"
        with duckdb_errors(where), _phase(con, opts.progress, f"row diff {name}: matching"):
            if opts.key:   # drift statistics come out of the same join
                counts, per_col, sample, stats = keyed.diff(
                    con, o, n, opts.key, opts.sample, opts.drift, opts.filesystems)
            else:          # and so do they from the grouping of each version
                counts, per_col, sample, stats = multiset.diff(
                    con, o, n, opts.sample, opts.drift)
            chat = drift.chat_diff(con, o, n, opts.tokenizer)
    return RowDiff(old=o.side, new=n.side, key=opts.key, counts=counts,
                   columns_changed=per_col, schema=schema, sample=sample,
                   drift=stats, chat=chat)


def _checked(opts: DiffOptions) -> DiffOptions:
    key = opts.key
    if isinstance(key, str):
        key = [k for k in key.split(",")]
    if key is not None:
        key = tuple(k.strip() for k in key)
        if not key or any(not k for k in key) or len(set(key)) != len(key):
            raise UsageError(f"bad key {','.join(key)!r}",
                             hint="name one or more distinct columns: --key id,lang")
    if not isinstance(opts.sample, int) or opts.sample < 0:
        raise UsageError(f"bad sample size {opts.sample!r}", hint="give a whole number >= 0")
    return replace(opts, key=key or None)


@contextlib.contextmanager
def session(opts: DiffOptions):
    """An in-memory DuckDB connection configured for one diff."""
    config = {"preserve_insertion_order": False}  # we ORDER BY what we show
    if opts.threads:
        config["threads"] = opts.threads
    if opts.memory_limit:
        config["memory_limit"] = opts.memory_limit
    if opts.temp_directory:
        config["temp_directory"] = opts.temp_directory
    con = duckdb.connect(":memory:", config=config)
    try:
        if opts.progress:   # DuckDB tracks its progress, ldv draws it (_phase)
            con.execute("SET enable_progress_bar = true")
            con.execute("SET enable_progress_bar_print = false")
        for fs in opts.filesystems:
            con.register_filesystem(fs)
        yield con
    finally:
        con.close()


@contextlib.contextmanager
def _phase(con, progress, label: str, interval: float = 0.1):
    """Report ``label`` with the running query's percentage (DuckDB's
    ``query_progress``, polled on a thread while the phase's queries run) and
    100% when the phase ends; nothing without ``progress``.  A phase runs a few
    queries, each from 0%: the bar shows the furthest any got, so it never moves
    back (the long one, the join or the grouping, decides it)."""
    if not progress:
        yield
        return
    import threading
    done = threading.Event()

    def poll():
        shown = 0
        while not done.wait(interval):
            pct = min(int(con.query_progress()), 99)
            if pct > shown:
                shown = pct
                progress(label, shown, 100)
    progress(label, 0, 100)
    watcher = threading.Thread(target=poll, name="ldv-rowdiff-progress", daemon=True)
    watcher.start()
    try:
        yield
    finally:
        done.set()
        watcher.join()   # before the connection can close under it
    progress(label, 100, 100)


def _load_pair(con, old, new, opts: DiffOptions, streams) -> tuple[Loaded, Loaded]:
    name_old, name_new = opts.names
    if old is None:
        present = load(con, "__ldv_new", new, opts.fmt, streams, "new", name_new, opts.key)
        return _absent(con, "__ldv_old", "old", present), present
    present = load(con, "__ldv_old", old, opts.fmt, streams, "old", name_old, opts.key)
    if new is None:
        return present, _absent(con, "__ldv_new", "new", present)
    return present, load(con, "__ldv_new", new, opts.fmt, streams, "new", name_new, opts.key)


def load(con, view: str, source, fmt: str | None, streams: StreamFS,
         label: str, name: str | None = None, key=None) -> Loaded:
    """Register ``source`` as view ``view`` and read its columns and row count.

    For CSV and JSONL, counting rows reads the whole file: with a ``key`` whose
    columns the file has, the same scan estimates the key's distinct values for
    keyed.py's duplicate check, which would otherwise read the file once more.
    (A Parquet file counts its rows from its footer; the check reads only the
    key columns, later, where ldv:// keeps them for the join.)"""
    name = name or display_name(source)
    fmt = detect_format(name if fmt is None else source, fmt)
    if isinstance(source, (str, os.PathLike)):
        url = os.fspath(source)
        if "://" not in url and not os.path.isfile(url):
            raise BadInput(f"{label} version {name}: no such file")
    else:
        url = streams.add(f"{label}.{fmt}", source)
    with duckdb_errors(f"{label} version {name} is not valid {fmt.upper()}"):
        con.execute(f"CREATE VIEW {view} AS SELECT * FROM {bound_reader(con, url, fmt)}")
        cols = tuple(Column(r[0], r[1]) for r in con.execute(f"DESCRIBE {view}").fetchall())
        names = {c.name for c in cols}
        if key and fmt != "parquet" and all(k in names for k in key):
            rows, distinct = con.execute(
                f"SELECT count(*), approx_count_distinct({keyed.key_struct(key)}) "
                f"FROM {view}").fetchall()[0]
        else:
            rows, distinct = con.execute(f"SELECT count(*) FROM {view}").fetchall()[0][0], None
    return Loaded(view, label, Side(name, fmt, rows, cols), distinct_keys=distinct)


def _absent(con, view: str, label: str, other: Loaded) -> Loaded:
    """An empty stand-in, shaped like ``other``, for a version without the file."""
    con.execute(f"CREATE VIEW {view} AS SELECT * FROM {other.view} LIMIT 0")
    side = Side("/dev/null", other.side.format, 0, ())
    return Loaded(view, label, side, missing=True)
