"""`ldv diff --rows`: the row-diff engine (porcelain/rowdiff) wired into the CLI."""
from __future__ import annotations

import json


def _two_versions(repo):
    repo.write("d.jsonl", '{"id": 1, "t": "a"}\n{"id": 2, "t": "b"}\n{"id": 3, "t": "c"}\n')
    repo("add", ".")
    repo("commit", "-q", "-m", "v1")
    repo.write("d.jsonl", '{"id": 1, "t": "a"}\n{"id": 2, "t": "B"}\n')
    repo("commit", "-q", "-am", "v2")


def test_rows_json_with_key(repo):
    _two_versions(repo)
    r = repo("diff", "HEAD~1", "HEAD", "--rows", "--key", "id", "--format", "json")
    doc = json.loads(r.output)
    assert doc["kind"] == "tree" and [f["path"] for f in doc["files"]] == ["d.jsonl"]
    totals = doc["totals"]
    assert (totals["removed"], totals["modified"], totals["added"]) == (1, 1, 0)
    repo("diff", "HEAD~1", "HEAD", "--rows", "--exit-code", code=1)
    repo("diff", "HEAD", "HEAD", "--rows", "--exit-code")


def test_gates_trip_exit_1_and_bad_gate_exit_2(repo):
    _two_versions(repo)
    r = repo("diff", "HEAD~1", "HEAD", "--rows", "--key", "id", "--fail-on", "removed>10%",
             code=1)
    assert "removed" in r.stderr and r.stderr.startswith("error: ")
    repo("diff", "HEAD~1", "HEAD", "--rows", "--key", "id", "--fail-on", "added>0")
    repo("diff", "HEAD~1", "HEAD", "--rows", "--fail-on", "nonsense", code=2)


def test_rows_against_the_working_tree(repo):
    repo.write("data/rows.jsonl", '{"id": 1}\n{"id": 2}\n{"id": 3}\n')
    r = repo("diff", "--rows", "--format", "json")
    assert json.loads(r.output)["totals"]["added"] == 1
