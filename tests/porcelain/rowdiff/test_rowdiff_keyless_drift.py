"""Drift statistics of a keyless diff (porcelain/rowdiff/multiset.py): computed from
each version's grouped rows, weighted by how often each row occurs, in the one
scan of each file that the multiset join needs.  Each result is checked against
a scan of the file itself (drift.column_stats, the per-file statistics) and
against values computed in Python from the rows as written, duplicates and all;
and the bytes read are counted to show the statistics cost no read of their own."""
from __future__ import annotations

import datetime as dt
import io
import math
import random
import statistics
from collections import Counter

import pytest

from ldv.porcelain.rowdiff import diff_rows, drift
from ldv.porcelain.rowdiff.engine import DiffOptions, load, session
from ldv.porcelain.rowdiff.formats import StreamFS
from ldv.porcelain.rowdiff.values import kind_of

from .builders import CountingFS, flat, write

FORMATS = ("parquet", "csv", "jsonl")


def _base(n: int, fmt: str) -> list[dict]:
    """``n`` distinct rows with NULLs in every column and a column of each kind
    (no lists in CSV, which cannot hold them)."""
    out = []
    for i in range(n):
        r = {"x": None if i % 6 == 0 else round(i * 0.75 - 40, 2),
             "s": None if i % 9 == 0 else "w" * (i % 23) + str(i),
             "day": dt.datetime(2024, 1, 1) + dt.timedelta(hours=i),
             "flag": None if i % 13 == 0 else i % 3 == 0}
        if fmt != "csv":
            r["tags"] = None if i % 11 == 0 else [i % 3] * (i % 5)
        out.append(r)
    return out


def _versions(fmt: str, seed: int = 7) -> tuple[list[dict], list[dict]]:
    """Two versions with many duplicated rows (one of them 60 times, with a NULL
    number and the longest text, so that counting it once would show), rows
    removed and added, and a column in each version only."""
    rnd = random.Random(seed)
    base = _base(300, fmt)
    heavy = dict(base[6], s="L" * 200)          # x is NULL in row 6
    old = base[:250] + [base[j] for j in range(0, 40) for _ in range(j % 4)] + [heavy] * 60
    new = base[20:] + [base[j] for j in range(30, 50) for _ in range(2)] + [heavy] * 25
    old = [dict(r, gone=k % 5) for k, r in enumerate(old)]
    new = [dict(r, extra=f"e{k % 7}") for k, r in enumerate(new)]
    rnd.shuffle(old)
    rnd.shuffle(new)
    return old, new


def _written(rows: list[dict], path, fmt: str):
    """``rows`` written as ``fmt``; times as text where the format has no type
    for them (DuckDB's sniffer reads them back as timestamps)."""
    if fmt == "jsonl":
        rows = [dict(r, day=r["day"].isoformat(sep=" ")) for r in rows]
    return write(rows, path, fmt)


def _pair(tmp_path, fmt: str):
    old, new = _versions(fmt)
    po = _written(old, tmp_path / f"old.{fmt}", fmt)
    pn = _written(new, tmp_path / f"new.{fmt}", fmt)
    return old, new, po, pn


def _file_stats(po, pn) -> dict:
    """Today's per-file statistics: one scan of each file, no grouping."""
    with session(DiffOptions(threads=2)) as con:
        streams = StreamFS()
        o = load(con, "vo", po, None, streams, "old")
        n = load(con, "vn", pn, None, streams, "new")
        return drift.column_drift(con, o, n)


_APPROX = ("length.p50", "length.p90", "length.p99")   # t-digest: order matters


@pytest.mark.parametrize("fmt", FORMATS)
def test_keyless_drift_equals_a_scan_of_each_file(tmp_path, fmt):
    _old, _new, po, pn = _pair(tmp_path, fmt)
    got = diff_rows(po, pn, threads=2).drift
    want = _file_stats(po, pn)
    assert list(got) == list(want)
    assert got["gone"]["new"] is None and got["extra"]["old"] is None
    kinds = {kind_of(sides["old"]["type"]) for sides in want.values() if sides["old"]}
    assert kinds >= {"number", "text", "time", "bool"} | ({"list"} if fmt != "csv" else set())
    for col, sides in want.items():
        for side in ("old", "new"):
            if sides[side] is None:
                continue
            g, w = flat(got[col][side]), flat(sides[side])
            assert g.keys() == w.keys(), (col, side)
            for k in g:
                if k in _APPROX:
                    assert g[k] == pytest.approx(w[k], abs=1), (col, side, k)
                elif isinstance(w[k], float):   # summed in another order
                    assert g[k] == pytest.approx(w[k], rel=1e-12), (col, side, k)
                else:   # HyperLogLog of the same values: the same registers
                    assert g[k] == w[k], (col, side, k)


def _quantile(sorted_values: list, q: float, slack: int):
    """The values at most ``slack`` places either side of the exact q-quantile."""
    at = q * (len(sorted_values) - 1)
    lo = max(0, math.floor(at) - slack)
    hi = min(len(sorted_values) - 1, math.ceil(at) + slack)
    return sorted_values[lo], sorted_values[hi]


@pytest.mark.parametrize("fmt", FORMATS)
def test_duplicates_weigh_as_often_as_they_occur(tmp_path, fmt):
    old, new, po, pn = _pair(tmp_path, fmt)
    d = diff_rows(po, pn, threads=2).drift
    for rows, side in ((old, "old"), (new, "new")):
        xs = [r["x"] for r in rows if r["x"] is not None]
        st = d["x"][side]
        assert st["null_fraction"] == pytest.approx(1 - len(xs) / len(rows), abs=1e-6)
        assert st["mean"] == pytest.approx(statistics.fmean(xs))
        assert (st["min"], st["max"]) == (min(xs), max(xs))
        lengths = sorted(len(r["s"]) for r in rows if r["s"] is not None)
        ln = d["s"][side]["length"]
        assert ln["mean"] == pytest.approx(statistics.fmean(lengths))
        assert (ln["min"], ln["max"]) == (lengths[0], lengths[-1])
        for q in (50, 90, 99):
            lo, hi = _quantile(lengths, q / 100, slack=len(lengths) // 100)
            assert lo <= ln[f"p{q}"] <= hi, (side, q, ln)
        flags = [r["flag"] for r in rows if r["flag"] is not None]
        assert d["flag"][side]["true_fraction"] == pytest.approx(sum(flags) / len(flags))
        assert d["flag"][side]["null_fraction"] == pytest.approx(
            1 - len(flags) / len(rows), abs=1e-6)
    # the 60 (25) copies of the one row with the longest text drive p99
    assert d["s"]["old"]["length"]["p99"] == 200 == d["s"]["new"]["length"]["p99"]


@pytest.mark.parametrize("fmt", FORMATS)
def test_counts_and_sample_do_not_depend_on_drift(tmp_path, fmt):
    old, new, po, pn = _pair(tmp_path, fmt)
    with_drift = diff_rows(po, pn, sample=4, threads=2)
    without = diff_rows(po, pn, sample=4, threads=2, drift=False)
    assert without.drift == {}
    assert with_drift.counts == without.counts
    assert with_drift.sample == without.sample
    # The multiset difference on the common columns, counted in Python.
    common = [c for c in old[0] if c in new[0]]

    def bag(rows):
        return Counter(repr([r[c] for c in common]) for r in rows)
    a, b = bag(old), bag(new)
    assert with_drift.counts.removed == sum((a - b).values())
    assert with_drift.counts.added == sum((b - a).values())


def _bytes_read(po, pn, fmt: str, **opts) -> Counter:
    fs = CountingFS()
    urls = [fs.add(f"{label}.{fmt}", io.BytesIO(p.read_bytes()))
            for label, p in (("old", po), ("new", pn))]
    diff_rows(*urls, filesystems=(fs,), threads=1, **opts)
    return fs.read


@pytest.mark.parametrize("fmt", FORMATS)
def test_drift_reads_no_byte_more_of_either_file(tmp_path, fmt):
    old, new = _versions(fmt)
    # The same columns in both versions, so that the grouping reads the same
    # columns with drift as without (a version's own column is read only for
    # its statistics, which a Parquet reader would otherwise skip).
    old = [{k: v for k, v in r.items() if k != "gone"} for r in old]
    new = [{k: v for k, v in r.items() if k != "extra"} for r in new]
    po = _written(old, tmp_path / f"old.{fmt}", fmt)
    pn = _written(new, tmp_path / f"new.{fmt}", fmt)
    without = _bytes_read(po, pn, fmt, drift=False)
    with_drift = _bytes_read(po, pn, fmt)
    assert set(without) == {f"old.{fmt}", f"new.{fmt}"}
    for name, size in ((f"old.{fmt}", po.stat().st_size), (f"new.{fmt}", pn.stat().st_size)):
        assert without[name] >= size     # the grouping read the whole file
        assert with_drift[name] == without[name], name
