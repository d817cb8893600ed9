"""Record merge of Parquet: value identity, same schema, conflicts, schema changes."""
from __future__ import annotations

import datetime as dt
import decimal

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from ldv.porcelain.merge.recordmerge import merge_records

SCHEMA = pa.schema([
    ("id", pa.int32()),
    ("name", pa.string()),
    ("score", pa.float64()),
    ("when", pa.timestamp("us", tz="UTC")),
    ("price", pa.decimal128(10, 3)),
    ("tags", pa.list_(pa.string())),
    ("blob", pa.binary()),
])


def row(i, name=None, score=None):
    return {"id": i, "name": name if name is not None else f"n{i}",
            "score": score if score is not None else i / 3,
            "when": dt.datetime(2024, 1, 1, tzinfo=dt.timezone.utc) + dt.timedelta(seconds=i),
            "price": decimal.Decimal(i) / 7 if i % 4 else None,
            "tags": [f"t{i}", None] if i % 3 else [],
            "blob": bytes([i % 256]) * (i % 5)}


BASE = [row(i) for i in range(20)]


def write(path, rows, schema=SCHEMA):
    for r in rows:
        if isinstance(r.get("price"), decimal.Decimal):
            r["price"] = r["price"].quantize(decimal.Decimal("0.001"))
    pq.write_table(pa.Table.from_pylist(rows, schema=schema), path, row_group_size=7)
    return path


def run(tmp_path, base, ours, theirs, key="id"):
    b = write(tmp_path / "b.parquet", base)
    o = write(tmp_path / "o.parquet", ours)
    t = write(tmp_path / "t.parquet", theirs)
    res = merge_records(b, o, t, tmp_path / "out.parquet", fmt="parquet", key=key)
    return res, pq.read_table(tmp_path / "out.parquet")


@pytest.mark.parametrize("key", ["id", None])
def test_disjoint_edits_are_value_identical_with_the_same_schema(tmp_path, key):
    ours = [dict(r) for r in BASE]
    ours[3] = row(3, "ours")
    del ours[10]
    ours.append(row(100))
    theirs = [dict(r) for r in BASE]
    theirs[15] = row(15, score=-1.5)
    theirs.append(row(200))
    res, out = run(tmp_path, BASE, ours, theirs, key)
    assert res.clean, res.conflicts
    expected = [dict(r) for r in ours[:-1]]
    expected[expected.index(BASE[15])] = theirs[15]
    expected += [row(100), row(200)]
    write(tmp_path / "e.parquet", expected)
    want = pq.read_table(tmp_path / "e.parquet")
    assert out.schema.remove_metadata() == SCHEMA
    assert out.equals(want.cast(out.schema))
    assert out.to_pylist() == want.to_pylist()


def test_same_row_changed_differently_conflicts_with_json_details(tmp_path):
    ours = [dict(r) for r in BASE]
    ours[4] = row(4, "o")
    theirs = [dict(r) for r in BASE]
    theirs[4] = row(4, "t")
    res, out = run(tmp_path, BASE, ours, theirs)
    (c,) = res.conflicts
    assert (c.key, c.kind) == ("id=4", "modify/modify")
    assert b'"name": "o"' in c.ours and b'"name": "t"' in c.theirs
    assert out.column("id").to_pylist() == list(range(20))
    assert out.slice(4, 1).to_pylist()[0]["name"] == "o"


def test_schema_change_on_one_side_with_edits_on_the_other_is_a_conflict(tmp_path):
    wide = SCHEMA.append(pa.field("extra", pa.int8()))
    b = write(tmp_path / "b.parquet", [dict(r) for r in BASE])
    o = write(tmp_path / "o.parquet", [dict(r, extra=1) for r in BASE], wide)
    theirs = [dict(r) for r in BASE]
    theirs[0] = row(0, "t")
    t = write(tmp_path / "t.parquet", theirs)
    res = merge_records(b, o, t, tmp_path / "out.parquet", fmt="parquet", key="id")
    assert [c.kind for c in res.conflicts] == ["schema"]
    assert pq.read_table(tmp_path / "out.parquet").schema.remove_metadata() == wide


def test_not_a_parquet_file_is_a_clear_error(tmp_path):
    from ldv.plumbing.errors import BadFormat
    b = write(tmp_path / "b.parquet", [dict(r) for r in BASE])
    o = write(tmp_path / "o.parquet", [dict(r) for r in BASE[1:]])
    bad = tmp_path / "t.parquet"
    bad.write_bytes(b"not parquet at all")
    with pytest.raises(BadFormat, match="not a Parquet file"):
        merge_records(b, o, bad, tmp_path / "out.parquet", fmt="parquet", key="id")


def test_rows_are_streamed_in_small_batches_even_when_theirs_is_reordered(tmp_path,
                                                                          monkeypatch):
    from ldv.porcelain.merge import parquet as side
    monkeypatch.setattr(side, "WRITE_CHUNK", 3)     # many batches, many restarts
    ours = [dict(r) for r in BASE]
    ours[0] = row(0, "o")
    theirs = [dict(r) for r in reversed(BASE)]
    # ten rows asked in descending order: restarts, then the whole-table fallback
    edited = {i: row(i, score=100.0 + i) for i in (2, 3, 5, 7, 9, 11, 13, 15, 17, 19)}
    theirs = [edited.get(r["id"], r) for r in theirs] + [row(300)]
    res, out = run(tmp_path, BASE, ours, theirs)
    assert res.clean
    expected = [ours[0]] + [edited.get(r["id"], r) for r in BASE[1:]] + [row(300)]
    write(tmp_path / "e.parquet", expected)
    assert out.to_pylist() == pq.read_table(tmp_path / "e.parquet").to_pylist()
    assert out.num_rows == 21
