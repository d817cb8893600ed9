"""The keyed diff's narrow join (porcelain/rowdiff/keyed.py): text, lists and other
wide values are compared through 64-bit hashes, drift comes out of the same join,
and the sampled rows are fetched by key afterwards.  Each result is checked
against what the whole-value comparison and the separate per-version scan give."""
from __future__ import annotations

import datetime as dt

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from ldv.porcelain.rowdiff import diff_rows, drift
from ldv.porcelain.rowdiff.engine import DiffOptions, load, session
from ldv.porcelain.rowdiff.formats import StreamFS

from .builders import flat


def _rows(n: int, changed: bool):
    out = []
    for i in range(n):
        r = {"id": i, "t": None if i % 7 == 0 else f"text {i}" * (1 + i % 5),
             "l": [float(i), -0.0 if i % 2 else 0.0, None],
             "s": {"a": i % 3, "b": f"b{i % 11}"},
             "x": None if i % 5 == 0 else i / 4, "flag": i % 3 == 0,
             "day": dt.date(2024, 1, 1 + i % 28)}
        if changed and i % 10 == 3:
            r["t"] = None if r["t"] is not None else "now set"  # NULL <-> value
        if changed and i % 10 == 4:
            r["l"] = [float(i), 0.0 if i % 2 else -0.0, None]    # -0.0 == 0.0: unchanged
        if changed and i % 10 == 5:
            r["s"] = {"a": i % 3, "b": "other"}
        if changed and i % 10 == 6:
            r["l"] = [float(i), 0.0, 1.0]
        out.append(r)
    return out


def _write(rows, path):
    pq.write_table(pa.Table.from_pylist(rows), path, row_group_size=100)
    return path


def _expected_per_column(po, pn):
    """Per-column change counts by DuckDB's own whole-value comparison."""
    con = duckdb.connect()
    cols = ["t", "l", "s", "x", "flag", "day"]
    row = con.execute(
        "SELECT " + ", ".join(f"count(*) FILTER (o.{c} IS DISTINCT FROM n.{c})" for c in cols)
        + f" FROM read_parquet('{po}') o JOIN read_parquet('{pn}') n USING (id)").fetchall()[0]
    return {c: k for c, k in zip(cols, row) if k}


def test_hashed_values_count_changes_as_whole_values_do(tmp_path):
    po = _write(_rows(1000, False), tmp_path / "o.parquet")
    pn = _write(_rows(1000, True), tmp_path / "n.parquet")
    d = diff_rows(po, pn, key=["id"], sample=3, threads=2)
    expected = _expected_per_column(po, pn)
    assert expected == {"t": 100, "s": 100, "l": 100}   # the -0.0 rows are not changes
    assert d.columns_changed == expected
    assert (d.counts.modified, d.counts.added, d.counts.removed) == (300, 0, 0)
    first = d.sample.modified[0]
    assert first == {"key": {"id": 3}, "changes": {"t": {"old": "text 3" * 4,
                                                           "new": None}}}
    assert [m["key"]["id"] for m in d.sample.modified] == [3, 5, 6]
    assert d.sample.modified[2]["changes"] == {
        "l": {"old": [6.0, 0.0, None], "new": [6.0, 0.0, 1.0]}}


def test_drift_from_the_join_equals_a_scan_of_each_version(tmp_path):
    old, new = _rows(1000, False), _rows(1000, True)
    new = new[40:] + [dict(r, id=r["id"] + 5000) for r in new[:60]]   # removed, added
    po, pn = _write(old, tmp_path / "o.parquet"), _write(new, tmp_path / "n.parquet")
    got = diff_rows(po, pn, key=["id"], threads=2).drift
    opts = DiffOptions()
    with session(opts) as con:
        streams = StreamFS()
        o = load(con, "vo", po, None, streams, "old")
        n = load(con, "vn", pn, None, streams, "new")
        want = drift.column_drift(con, o, n)
    assert list(got) == list(want)
    for col, sides in want.items():
        for side in ("old", "new"):
            g, w = dict(got[col][side]), dict(want[col][side])
            # HyperLogLog of the hashes, not of the values: both approximate
            gd, _ = g.pop("distinct"), w.pop("distinct")
            exact = duckdb.connect().execute(
                f"SELECT count(DISTINCT {col}) FROM read_parquet("
                f"'{po if side == 'old' else pn}')").fetchall()[0][0]
            assert abs(gd - exact) <= max(3, 0.05 * exact), (col, side, gd, exact)
            assert flat(g) == pytest.approx(flat(w)), (col, side)


def test_sample_rows_come_back_for_composite_and_null_keys(tmp_path):
    old = [{"k": None if i % 4 == 0 else i % 50, "j": i, "v": f"v{i}"} for i in range(200)]
    new = [dict(r, v=r["v"] + "!") if r["j"] % 9 == 0 else r for r in old[5:]]
    new += [{"k": None, "j": 1000 + i, "v": "new"} for i in range(3)]
    po, pn = _write(old, tmp_path / "o.parquet"), _write(new, tmp_path / "n.parquet")
    d = diff_rows(po, pn, key=["k", "j"], sample=10, threads=2)
    assert (d.counts.added, d.counts.removed) == (3, 5)
    assert d.counts.modified == sum(1 for r in old[5:] if r["j"] % 9 == 0)
    assert [r["row"]["j"] for r in d.sample.added] == [1000, 1001, 1002]
    assert all(r["row"]["k"] is None for r in d.sample.added)
    assert sorted(r["row"]["j"] for r in d.sample.removed) == [0, 1, 2, 3, 4]
    for m in d.sample.modified:
        j = m["key"]["j"]
        assert m["changes"] == {"v": {"old": f"v{j}", "new": f"v{j}!"}}


def test_sample_of_a_key_retyped_from_decimal_to_double(tmp_path):
    import decimal
    old = pa.table({"id": pa.array([decimal.Decimal(f"{i}.1") for i in range(6)],
                                   pa.decimal128(10, 1)), "v": [f"v{i}" for i in range(6)]})
    new = pa.table({"id": [i + 0.1 for i in range(1, 7)],
                    "v": ["v1", "changed", "v3", "v4", "v5", "v6"]})
    po, pn = tmp_path / "o.parquet", tmp_path / "n.parquet"
    pq.write_table(old, po)
    pq.write_table(new, pn)
    d = diff_rows(po, pn, key=["id"], sample=5, threads=1)
    assert (d.counts.added, d.counts.removed, d.counts.modified) == (1, 1, 1)
    assert d.sample.removed[0]["row"] == {"id": "0.1", "v": "v0"}
    assert d.sample.added[0]["row"] == {"id": 6.1, "v": "v6"}
    assert d.sample.modified[0]["changes"] == {"v": {"old": "v2", "new": "changed"}}
