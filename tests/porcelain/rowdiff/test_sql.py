"""porcelain/sql.py: SQL over committed versions, every output format."""
from __future__ import annotations

import csv
import io
import json

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import ldv
from ldv.plumbing.errors import BadInput, UsageError
from ldv.plumbing.keys import MasterKey
from ldv.porcelain.sql import run_sql
from ldv.porcelain.worktree import Identity

KEY = MasterKey.from_hex("66" * 32)
ME = Identity("Sql", "sql@example.org")


@pytest.fixture(scope="module")
def repo(tmp_path_factory):
    r, _ = ldv.Repository.init(tmp_path_factory.mktemp("sql") / "ds", key=KEY)
    rows = [{"id": i, "lang": ["en", "de", "fr"][i % 3]} for i in range(30)]
    pq.write_table(pa.Table.from_pylist(rows), r.root / "t.parquet")
    r.add(["t.parquet"])
    r.commit("one", author=ME, now=1_700_000_000)
    pq.write_table(pa.Table.from_pylist(rows[:12]), r.root / "t.parquet")
    r.commit("two", all=True, author=ME, now=1_700_000_100)
    yield r
    r.close()


Q = "SELECT lang, count(*) AS n FROM 'ldv://{rev}/t.parquet' GROUP BY lang ORDER BY lang"


def _run(repo, query, fmt, **kw):
    sink = io.BytesIO()
    n = run_sql(repo.plumbing, query, sink, fmt, threads=1, **kw)
    return n, sink.getvalue()


def test_csv_and_json_of_two_versions(repo):
    n, data = _run(repo, Q.format(rev="HEAD~1"), "csv")
    assert n == 3
    assert list(csv.DictReader(io.StringIO(data.decode()))) == [
        {"lang": "de", "n": "10"}, {"lang": "en", "n": "10"}, {"lang": "fr", "n": "10"}]
    n, data = _run(repo, Q.format(rev="HEAD"), "json")
    assert [json.loads(x) for x in data.decode().splitlines()] == [
        {"lang": "de", "n": 4}, {"lang": "en", "n": 4}, {"lang": "fr", "n": 4}]


def test_parquet_and_text(repo):
    n, data = _run(repo, "SELECT * FROM 'ldv://HEAD~1/t.parquet' ORDER BY id", "parquet")
    table = pq.read_table(io.BytesIO(data))
    assert n == 30 and table.column("id").to_pylist() == list(range(30))
    n, data = _run(repo, "SELECT * FROM 'ldv://HEAD/t.parquet' ORDER BY id", "text",
                   max_rows=5)
    lines = data.decode().splitlines()
    assert n == 5 and lines[0].split(" | ")[0].strip() == "id"
    assert lines[2].startswith("0 ") and "more not shown" in lines[-1]


def test_errors(repo):
    with pytest.raises(BadInput) as e:
        _run(repo, "SELEC 1", "csv")
    assert e.value.exit_code == 2 and "\n" not in str(e.value)
    # an ldv:// URL that names no file says why, not DuckDB's "No files found"
    with pytest.raises(BadInput, match=r"missing\.parquet: not in commit [0-9a-f]{12}"):
        _run(repo, "SELECT * FROM 'ldv://HEAD/missing.parquet'", "csv")
    with pytest.raises(BadInput, match=r"ldv://nope/x\.parquet: no revision"):
        _run(repo, "SELECT * FROM 'ldv://nope/x.parquet'", "csv")
    with pytest.raises(UsageError):
        _run(repo, "SELECT 1", "xml")
