"""diff_rows on generated versions whose changes are known exactly."""
from __future__ import annotations

import io
import json
from collections import Counter

import pytest

from ldv.porcelain.rowdiff import diff_rows, render_json

from .builders import make_versions, write

FORMATS = ["parquet", "csv", "jsonl"]


def _doc(d) -> dict:
    return json.loads(render_json(d))


@pytest.mark.parametrize("fmt", FORMATS)
def test_keyed_counts_match_known_changes(tmp_path, fmt):
    v = make_versions(300, seed=7, n_add=17, n_remove=11, n_modify=23)
    old = write(v.old, tmp_path / f"old.{fmt}", fmt)
    new = write(v.new, tmp_path / f"new.{fmt}", fmt)
    doc = _doc(diff_rows(old, new, key=["id"], sample=4, threads=1))
    assert doc["schema_version"] == 1
    assert doc["match"] == "key" and doc["key"] == ["id"]
    assert doc["counts"] == {"added": len(v.added), "removed": len(v.removed),
                             "modified": len(v.modified),
                             "unchanged": len(v.old) - len(v.removed) - len(v.modified)}
    assert doc["columns_changed"] == v.per_column()
    assert doc["old"]["rows"] == len(v.old) and doc["new"]["rows"] == len(v.new)
    assert doc["schema"] == {"added": [], "removed": [], "retyped": []}
    assert doc["changed"] is True
    # The sample: the smallest ids of each kind, in key order, with exact values.
    assert [e["row"]["id"] for e in doc["sample"]["added"]] == sorted(v.added)[:4]
    assert [e["row"]["id"] for e in doc["sample"]["removed"]] == sorted(v.removed)[:4]
    mod_ids = sorted(v.modified)[:4]
    assert [e["key"]["id"] for e in doc["sample"]["modified"]] == mod_ids
    old_by_id = {r["id"]: r for r in v.old}
    new_by_id = {r["id"]: r for r in v.new}
    for e in doc["sample"]["modified"]:
        i = e["key"]["id"]
        assert set(e["changes"]) == v.modified[i]
        for col, ch in e["changes"].items():
            assert ch == {"old": old_by_id[i][col], "new": new_by_id[i][col]}


@pytest.mark.parametrize("fmt", FORMATS)
def test_unkeyed_counts_treat_a_modified_row_as_removed_plus_added(tmp_path, fmt):
    v = make_versions(200, seed=3, n_add=5, n_remove=9, n_modify=13)
    old = write(v.old, tmp_path / f"old.{fmt}", fmt)
    new = write(v.new, tmp_path / f"new.{fmt}", fmt)
    doc = _doc(diff_rows(old, new, sample=3, threads=1))
    assert doc["match"] == "row" and doc["key"] is None
    assert doc["counts"] == {"added": len(v.added) + len(v.modified),
                             "removed": len(v.removed) + len(v.modified),
                             "modified": 0,
                             "unchanged": len(v.old) - len(v.removed) - len(v.modified)}
    assert all(e["count"] == 1 for e in doc["sample"]["added"])
    assert len(doc["sample"]["removed"]) == 3


@pytest.mark.parametrize("fmt", FORMATS)
def test_identical_versions_have_no_changes(tmp_path, fmt):
    v = make_versions(120, seed=1, n_add=0, n_remove=0, n_modify=0)
    old = write(v.old, tmp_path / f"old.{fmt}", fmt)
    new = write(v.new, tmp_path / f"new.{fmt}", fmt)  # same rows, shuffled
    for key in (["id"], None):
        d = diff_rows(old, new, key=key, threads=1)
        assert not d.changed
        assert d.counts.unchanged == 120 and d.counts.changed == 0
        assert d.sample.to_dict() == {"added": [], "removed": [], "modified": []}
        assert d.columns_changed == {}


@pytest.mark.parametrize("fmt", FORMATS)
def test_schema_change_added_removed_retyped(tmp_path, fmt):
    old_rows = [{"id": i, "a": i * 2, "gone": "x", "n": i} for i in range(50)]
    # "n" becomes text with the same digits (unchanged as text) except row 7.
    new_rows = [{"id": i, "a": i * 2 + (i == 3), "extra": 1.5, "n": f"{i}"}
                for i in range(50)]
    new_rows[7]["n"] = "seven"
    old = write(old_rows, tmp_path / f"old.{fmt}", fmt)
    new = write(new_rows, tmp_path / f"new.{fmt}", fmt)
    d = diff_rows(old, new, key=["id"], threads=1)
    doc = _doc(d)
    assert [c["name"] for c in doc["schema"]["added"]] == ["extra"]
    assert [c["name"] for c in doc["schema"]["removed"]] == ["gone"]
    retyped = doc["schema"]["retyped"]
    if fmt == "csv":
        # CSV has no types: DuckDB infers n as a number in the old version and as
        # text in the new one only because of "seven".
        assert [r["name"] for r in retyped] == ["n"]
    else:
        assert [(r["name"], r["new"]) for r in retyped] == [("n", "VARCHAR")]
    assert doc["counts"] == {"added": 0, "removed": 0, "modified": 2, "unchanged": 48}
    assert doc["columns_changed"] == {"a": 1, "n": 1}
    assert d.schema_changed and d.changed


def test_duplicates_count_without_a_key(tmp_path):
    old_rows = [{"x": 1, "y": "a"}] * 2 + [{"x": 2, "y": "b"}] * 3 + [{"x": 3, "y": None}]
    new_rows = [{"x": 1, "y": "a"}] * 3 + [{"x": 2, "y": "b"}] + [{"x": 3, "y": None}]
    old = write(old_rows, tmp_path / "old.parquet", "parquet")
    new = write(new_rows, tmp_path / "new.parquet", "parquet")
    d = diff_rows(old, new, threads=1)
    assert d.counts.to_dict() == {"added": 1, "removed": 2, "modified": 0, "unchanged": 4}
    assert d.sample.added == ({"row": {"x": 1, "y": "a"}, "count": 1},)
    assert d.sample.removed == ({"row": {"x": 2, "y": "b"}, "count": 2},)


def test_file_objects_give_the_same_diff_as_paths(tmp_path):
    v = make_versions(100, seed=5, n_add=4, n_remove=6, n_modify=8)
    for fmt in FORMATS:
        old = write(v.old, tmp_path / f"old.{fmt}", fmt)
        new = write(v.new, tmp_path / f"new.{fmt}", fmt)
        by_path = diff_rows(old, new, key=["id"], threads=1)
        by_stream = diff_rows(io.BytesIO(old.read_bytes()), io.BytesIO(new.read_bytes()),
                              fmt=fmt, key=["id"], threads=1)
        assert by_stream.counts == by_path.counts
        assert by_stream.columns_changed == by_path.columns_changed
        assert by_stream.sample == by_path.sample


def test_added_and_deleted_files(tmp_path):
    rows = [{"id": i, "v": i % 3} for i in range(40)]
    path = write(rows, tmp_path / "f.parquet", "parquet")
    added = diff_rows(None, path, key=["id"], sample=2, threads=1)
    assert added.counts.to_dict() == {"added": 40, "removed": 0, "modified": 0, "unchanged": 0}
    assert added.old.rows == 0 and not added.schema.changed
    assert [e["row"]["id"] for e in added.sample.added] == [0, 1]
    deleted = diff_rows(path, None, threads=1)
    assert Counter(deleted.counts.to_dict().values())[0] == 3
    assert deleted.counts.removed == 40


def test_multi_column_key_and_null_key_values(tmp_path):
    old_rows = [{"lang": l, "i": i, "t": f"{l}{i}"} for l in ("en", "de", None) for i in range(5)]
    new_rows = [dict(r) for r in old_rows if not (r["lang"] == "de" and r["i"] == 0)]
    for r in new_rows:
        if r["lang"] is None and r["i"] == 2:
            r["t"] = "changed"
    new_rows.append({"lang": "fr", "i": 0, "t": "fr0"})
    old = write(old_rows, tmp_path / "old.jsonl", "jsonl")
    new = write(new_rows, tmp_path / "new.jsonl", "jsonl")
    d = diff_rows(old, new, key="lang,i", threads=1)
    assert d.key == ("lang", "i")
    assert d.counts.to_dict() == {"added": 1, "removed": 1, "modified": 1, "unchanged": 13}
    assert d.sample.modified[0]["key"] == {"lang": None, "i": 2}


def test_awkward_column_names(tmp_path):
    cols = ["a b", "select", 'we"ird', "ünï"]
    old_rows = [{"a b": i, "select": f"s{i}", 'we"ird': i * 1.5, "ünï": i % 2} for i in range(10)]
    new_rows = [dict(r) for r in old_rows[1:]]
    new_rows[0]['we"ird'] = -1.0
    old = write(old_rows, tmp_path / "o.parquet", "parquet", cols)
    new = write(new_rows, tmp_path / "n.parquet", "parquet", cols)
    d = diff_rows(old, new, key=["a b"], threads=1)
    assert d.counts.to_dict() == {"added": 0, "removed": 1, "modified": 1, "unchanged": 8}
    assert d.columns_changed == {'we"ird': 1}
    assert d.sample.modified[0] == {"key": {"a b": 1},
                                    "changes": {'we"ird': {"old": 1.5, "new": -1.0}}}
    assert set(d.drift) == set(cols)


def test_progress_reports_each_phase_to_100(tmp_path):
    """With a progress callback, each phase (reading, matching) is reported from
    0 to 100% under the file's name; DuckDB's own bar never prints."""
    rows = [{"id": i, "v": f"x{i}"} for i in range(20_000)]
    old = write(rows, tmp_path / "old.parquet", "parquet")
    new = write(rows[10:] + [{"id": -1, "v": "n"}], tmp_path / "new.parquet", "parquet")
    calls = []
    d = diff_rows(old, new, key=["id"], names=("data.parquet", "data.parquet"),
                  progress=lambda label, done, total: calls.append((label, done, total)))
    assert (d.counts.added, d.counts.removed) == (1, 10)
    labels = [c[0] for c in calls]
    phases = ["row diff data.parquet: reading", "row diff data.parquet: matching"]
    assert sorted(set(labels), key=labels.index) == phases
    for phase in phases:
        mine = [(done, total) for label, done, total in calls if label == phase]
        assert mine[0] == (0, 100) and mine[-1] == (100, 100)
        assert all(0 <= done <= 100 and total == 100 for done, total in mine)
        assert [done for done, _ in mine] == sorted(done for done, _ in mine)  # never back
    # and without a callback nothing is tracked or drawn (the default)
    assert diff_rows(old, new, key=["id"]).counts == d.counts
