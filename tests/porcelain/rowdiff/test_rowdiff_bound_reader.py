"""The CSV and JSONL readers bind their detected schema once (formats.bound_reader).

DuckDB re-runs auto-detection whenever a query binds ``read_csv``/``read_json``;
with ``sample_size=-1`` that reads the whole file, once per query of the diff.
``bound_reader`` detects once and writes the result into the call: these tests
check that it reads exactly what detection reads (files where detection has
work to do), and that a diff now reads each file a bounded number of times."""
from __future__ import annotations

import io

import duckdb
import pytest

from ldv.porcelain.rowdiff import diff_rows
from ldv.porcelain.rowdiff.formats import bound_reader, reader_sql

from .builders import CountingFS

CSVS = {
    "semicolons_quotes": 'id;name;note\n1;"a;b";"said ""hi"""\n2;c;\n3;"multi\nline";x\n',
    "dates_and_nulls": "id,day,at,score\n1,24/12/2023,2023-12-24 10:00:00,1.5\n"
                       "2,01/02/2024,,\n3,,2024-02-01 00:00:01,-2\n",
    "no_header": "1,alpha,2.5\n2,beta,3.5\n3,gamma,\n",
    "late_text": "id,v\n" + "".join(f"{i},{i}\n" for i in range(3000)) + "3000,x\n",
    "tabs": "a\tb\n1\t2\n3\t4\n",
}
JSONLS = {
    "nested": '{"id": 1, "messages": [{"role": "user", "content": "hi"}], "meta": {"k": 1}}\n'
              '{"id": 2, "messages": [], "meta": {"k": 2, "z": "q"}}\n'
              '{"id": 3, "tags": ["a", "b"]}\n',
    "mixed_types": '{"id": 1, "v": 1}\n{"id": 2, "v": "two"}\n{"id": 3, "v": null}\n',
    "dates": '{"id": 1, "day": "2024-01-02", "at": "2024-01-02T03:04:05"}\n'
             '{"id": 2, "day": "2024-02-03", "at": null}\n',
}


def _same_relation(con, a: str, b: str) -> None:
    assert con.execute(f"DESCRIBE SELECT * FROM {a}").fetchall() == \
        con.execute(f"DESCRIBE SELECT * FROM {b}").fetchall()
    rows_a = con.execute(f"SELECT * FROM {a}").fetchall()
    rows_b = con.execute(f"SELECT * FROM {b}").fetchall()
    assert rows_a == rows_b and rows_a


@pytest.mark.parametrize("name", sorted(CSVS))
def test_csv_bound_reader_reads_what_detection_reads(tmp_path, name):
    path = tmp_path / f"{name}.csv"
    path.write_text(CSVS[name])
    con = duckdb.connect()
    bound = bound_reader(con, str(path), "csv")
    assert "auto_detect=false" in bound and "columns=" in bound
    _same_relation(con, bound, reader_sql(str(path), "csv"))


@pytest.mark.parametrize("name", sorted(JSONLS))
def test_jsonl_bound_reader_reads_what_detection_reads(tmp_path, name):
    path = tmp_path / f"{name}.jsonl"
    path.write_text(JSONLS[name])
    con = duckdb.connect()
    bound = bound_reader(con, str(path), "jsonl")
    # dates keep the detecting reader (their detected text format is not spelled out)
    assert ("columns=" in bound) == (name != "dates")
    _same_relation(con, bound, reader_sql(str(path), "jsonl"))


def test_bound_reader_quotes_the_url(tmp_path):
    path = tmp_path / "it's here.csv"
    path.write_text("a,b\n1,2\n")
    con = duckdb.connect()
    assert con.execute(f"SELECT * FROM {bound_reader(con, str(path), 'csv')}").fetchall() \
        == [(1, 2)]


@pytest.mark.parametrize("fmt", ["csv", "jsonl"])
@pytest.mark.parametrize("key", [["id"], None])
def test_a_diff_reads_each_file_a_few_times_not_once_per_query(fmt, key):
    def text(lo, hi, edit):
        if fmt == "csv":
            return "id,name,score\n" + "".join(
                f"{i},{'n' + str(i) if i % edit else 'changed'},{i * 0.5}\n" for i in range(lo, hi))
        return "".join(f'{{"id": {i}, "name": "{"n" + str(i) if i % edit else "changed"}", '
                       f'"score": {i * 0.5}}}\n' for i in range(lo, hi))
    old, new = text(0, 4000, 10**9).encode(), text(100, 4100, 97).encode()
    fs = CountingFS()
    urls = [fs.add(f"{label}.{fmt}", io.BytesIO(data))
            for label, data in (("old", old), ("new", new))]
    d = diff_rows(*urls, key=key, filesystems=(fs,), threads=1)
    # 100 ids dropped, 100 added, 40 shared ids (multiples of 97) renamed
    assert (d.counts.added, d.counts.removed, d.counts.modified) == \
        ((100, 100, 40) if key else (140, 140, 0))
    # detection, the row count (with a key, also the key's distinct estimate for
    # the duplicate check), then the join and the sample fetch with a key, the
    # grouping without: 4 and 3 reads of each file (the detecting reader, with
    # its own scan for the check, read CSV 6 and 4 times, JSONL 10 and 6 times:
    # every query detected the schema again, over the whole file)
    most = 4 if key else 3
    for name, size in ((f"old.{fmt}", len(old)), (f"new.{fmt}", len(new))):
        assert size <= fs.read[name] <= most * size, (name, fs.read[name] / size)
