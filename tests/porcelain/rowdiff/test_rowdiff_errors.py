"""Bad input gives a typed, one-line error (exit 2 in the CLI), never a traceback."""
from __future__ import annotations

import pytest

from ldv.plumbing.errors import BadFormat, BadInput, UsageError
from ldv.porcelain.rowdiff import diff_rows

from .builders import write


def _assert_one_line(err: BadInput, *needles: str) -> None:
    text = str(err)
    assert err.exit_code == 2
    assert "\n" not in text
    for n in needles:
        assert n in text


@pytest.fixture
def good(tmp_path):
    rows = [{"id": i % 7, "uid": i, "v": f"x{i}"} for i in range(30)]
    return {fmt: write(rows, tmp_path / f"good.{fmt}", fmt)
            for fmt in ("parquet", "csv", "jsonl")}


def test_not_parquet(tmp_path, good):
    bad = tmp_path / "bad.parquet"
    bad.write_bytes(b"PAR1 this is not really parquet at all" * 3)
    with pytest.raises(BadFormat) as e:
        diff_rows(bad, good["parquet"])
    _assert_one_line(e.value, "old version", "bad.parquet", "PARQUET")


def test_not_csv(tmp_path, good):
    bad = tmp_path / "bad.csv"
    bad.write_bytes(good["parquet"].read_bytes())  # binary, invalid UTF-8
    with pytest.raises(BadFormat) as e:
        diff_rows(good["csv"], bad)
    _assert_one_line(e.value, "new version", "bad.csv")


def test_not_jsonl(tmp_path, good):
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"id": 1, "v": "a"}\n{"id": 2, "v": \n')
    with pytest.raises(BadFormat) as e:
        diff_rows(good["jsonl"], bad, key=["uid"])
    _assert_one_line(e.value, "bad.jsonl", "JSONL")


def test_key_column_missing(good):
    with pytest.raises(BadInput) as e:
        diff_rows(good["parquet"], good["parquet"], key=["nope"])
    _assert_one_line(e.value, "'nope'", "old version")
    assert "uid" in e.value.hint


@pytest.mark.parametrize("fmt", ["parquet", "csv", "jsonl"])
def test_key_not_unique(good, fmt):
    with pytest.raises(BadInput) as e:
        diff_rows(good[fmt], good[fmt], key=["id"])
    _assert_one_line(e.value, "not unique", "id=")


def test_key_not_unique_only_in_new_version(tmp_path):
    old = write([{"id": i} for i in range(5)], tmp_path / "o.parquet", "parquet")
    new = write([{"id": i} for i in [0, 1, 2, 2]], tmp_path / "n.parquet", "parquet")
    with pytest.raises(BadInput) as e:
        diff_rows(old, new, key=["id"])
    _assert_one_line(e.value, "new version", "id=2", "2 times")


def test_missing_file_and_unknown_extension(tmp_path, good):
    with pytest.raises(BadInput) as e:
        diff_rows(tmp_path / "absent.parquet", good["parquet"])
    _assert_one_line(e.value, "no such file")
    odd = tmp_path / "data.bin"
    odd.write_bytes(b"1,2\n")
    with pytest.raises(BadFormat) as e:
        diff_rows(odd, odd)
    _assert_one_line(e.value, "data.bin")
    assert "--format" in e.value.hint


def test_bad_options(good):
    with pytest.raises(UsageError):
        diff_rows(good["csv"], good["csv"], fmt="xlsx")
    with pytest.raises(UsageError):
        diff_rows(good["csv"], good["csv"], key="id,,v")
    with pytest.raises(UsageError):
        diff_rows(good["csv"], good["csv"], sample=-1)
    with pytest.raises(UsageError):
        diff_rows(None, None)


def test_format_override_reads_a_misnamed_file(tmp_path, good):
    misnamed = tmp_path / "data.txt"
    misnamed.write_bytes(good["csv"].read_bytes())
    d = diff_rows(misnamed, good["csv"], fmt="csv", key=["uid"])
    assert d.counts.unchanged == 30 and not d.changed


@pytest.mark.parametrize("where,dup_id,version", [
    ("old", 5, "old"),     # duplicated key also in the new version (a matched key)
    ("new", 5, "new"),
    ("old", 150, "old"),   # duplicated key only in the old version (both copies removed)
    ("new", 250, "new"),   # duplicated key only in the new version (both copies added)
])
def test_a_single_duplicate_among_many_keys(tmp_path, where, dup_id, version):
    # One duplicate in 200 rows slips under the HyperLogLog pre-check; the join's
    # cardinality checks must still catch it.
    old_ids = list(range(200))
    new_ids = list(range(100)) + list(range(200, 300))
    if where == "old":
        old_ids.append(dup_id)
    else:
        new_ids.append(dup_id)
    old = write([{"id": i, "v": 1} for i in old_ids], tmp_path / "o.parquet", "parquet")
    new = write([{"id": i, "v": 1} for i in new_ids], tmp_path / "n.parquet", "parquet")
    with pytest.raises(BadInput) as e:
        diff_rows(old, new, key=["id"], threads=1)
    _assert_one_line(e.value, f"{version} version", f"id={dup_id}", "2 times")
