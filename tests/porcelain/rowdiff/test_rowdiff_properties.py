"""Hypothesis: the engine's counts equal a plain-Python model of the same diff."""
from __future__ import annotations

import tempfile
from collections import Counter
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ldv.porcelain.rowdiff import diff_rows

from .builders import write

_value = st.one_of(st.none(), st.integers(-3, 3))
_row = st.fixed_dictionaries({"a": _value, "b": st.sampled_from(["x", "y", None])})
_SETTINGS = settings(max_examples=25, deadline=None,
                     suppress_health_check=[HealthCheck.too_slow])


@_SETTINGS
@given(st.lists(_row, max_size=12), st.lists(_row, max_size=12),
       st.sampled_from(["parquet", "jsonl"]))
def test_multiset_counts(old, new, fmt):
    with tempfile.TemporaryDirectory() as tmp:
        cols = ["a", "b"]
        po = write(old, Path(tmp) / f"o.{fmt}", fmt, cols)
        pn = write(new, Path(tmp) / f"n.{fmt}", fmt, cols)
        d = diff_rows(po, pn, threads=1, drift=False)
    co = Counter((r["a"], r["b"]) for r in old)
    cn = Counter((r["a"], r["b"]) for r in new)
    assert d.counts.added == sum((cn - co).values())
    assert d.counts.removed == sum((co - cn).values())
    assert d.counts.unchanged == sum((co & cn).values())
    assert d.counts.modified == 0


_table = st.dictionaries(st.integers(0, 20), _row, max_size=15)


@_SETTINGS
@given(_table, _table, st.integers(0, 3))
def test_keyed_counts(old, new, sample):
    with tempfile.TemporaryDirectory() as tmp:
        cols = ["id", "a", "b"]
        po = write([{"id": k, **v} for k, v in old.items()], Path(tmp) / "o.parquet",
                   "parquet", cols)
        pn = write([{"id": k, **v} for k, v in new.items()], Path(tmp) / "n.parquet",
                   "parquet", cols)
        d = diff_rows(po, pn, key=["id"], sample=sample, threads=1, drift=False)
    both = old.keys() & new.keys()
    modified = {k for k in both if old[k] != new[k]}
    assert d.counts.to_dict() == {"added": len(new.keys() - old.keys()),
                                  "removed": len(old.keys() - new.keys()),
                                  "modified": len(modified),
                                  "unchanged": len(both) - len(modified)}
    per_col = {c: sum(old[k][c] != new[k][c] for k in both) for c in ("a", "b")}
    assert d.columns_changed == {c: n for c, n in per_col.items() if n}
    assert [m["key"]["id"] for m in d.sample.modified] == sorted(modified)[:sample]
