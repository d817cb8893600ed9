"""`ldv diff A B --rows` gives the file-level summary and then the row-level one."""
from __future__ import annotations

import json


def _two_versions(repo):
    repo.write("d.jsonl", '{"id": 1, "t": "a"}\n{"id": 2, "t": "b"}\n')
    repo.write("notes.txt", "one\n")
    repo("add", ".")
    repo("commit", "-q", "-m", "v1")
    repo.write("d.jsonl", '{"id": 1, "t": "a"}\n{"id": 3, "t": "c"}\n')
    repo.write("notes.txt", "two\n")
    repo("commit", "-q", "-am", "v2")


def test_file_summary_then_rows_in_every_format(repo):
    _two_versions(repo)
    text = repo("diff", "HEAD~1", "HEAD", "--rows", "--key", "id").output
    assert text.index("notes.txt") < text.index("1 tabular file(s)")
    assert "2 files changed" in text
    md = repo("diff", "HEAD~1", "HEAD", "--rows", "--format", "markdown").output
    assert md.index("| M | `notes.txt` |") < md.index("### ldv row diff")
    doc = json.loads(repo("diff", "HEAD~1", "HEAD", "--rows", "--key", "id",
                          "--format", "json").output)
    assert [c["path"] for c in doc["file_changes"]["changes"]] == ["d.jsonl", "notes.txt"]
    assert [f["path"] for f in doc["files"]] == ["d.jsonl"]
    assert (doc["totals"]["added"], doc["totals"]["removed"]) == (1, 1)


def test_bad_input_exits_2_with_one_line(repo):
    _two_versions(repo)
    r = repo("diff", "HEAD~1", "HEAD", "--rows", "--key", "nope", code=2)
    assert r.stderr.startswith("error: d.jsonl: key column 'nope' is not in the old version")
    assert len(r.stderr.strip().splitlines()) == 1 and "Traceback" not in r.output
    repo.write("d.jsonl", '{"id": 1}\n{"id": 1}\n')
    repo.write("broken.parquet", b"PAR1 not really")
    repo("add", ".")
    repo("commit", "-q", "-m", "v3")
    r = repo("diff", "HEAD~1", "HEAD", "--rows", "--key", "id", code=2)
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and "2 file(s) could not be row-diffed" in lines[0]
    assert "broken.parquet" in r.output and "is not unique" in r.output
