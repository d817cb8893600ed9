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
