"""`ldv sql`: DuckDB over ldv://REV/PATH from the command line."""
from __future__ import annotations

import pyarrow.parquet as pq


def _two_versions(repo):
    repo.write("d.csv", "id,lang\n1,en\n2,de\n3,en\n")
    repo("add", ".")
    repo("commit", "-q", "-m", "v1")
    repo.write("d.csv", "id,lang\n1,en\n")
    repo("commit", "-q", "-am", "v2")


def test_sql_csv_text_and_parquet_file(repo):
    _two_versions(repo)
    q = "SELECT lang, count(*) AS n FROM 'ldv://{}/d.csv' GROUP BY lang ORDER BY lang"
    assert repo("sql", "--format", "csv", q.format("HEAD~1")).output == "\"lang\",\"n\"\n\"de\",1\n\"en\",2\n"
    assert repo("sql", "--format", "json", q.format("HEAD")).output == '{"lang": "en", "n": 1}\n'
    text = repo("sql", q.format("main")).output.splitlines()
    assert text[0].split() == ["lang", "|", "n"] and text[-1] == "(1 row)"
    repo("sql", "--format", "parquet", "-o", "out.parquet", q.format("HEAD~1"))
    assert pq.read_table(repo.root / "out.parquet").num_rows == 2


def test_sql_errors_exit_2(repo):
    _two_versions(repo)
    r = repo("sql", "SELECT * FROM 'ldv://HEAD/nope.csv'", code=2)
    assert r.stderr.startswith("error: query failed")
    repo("sql", "SELEC 1", code=2)
