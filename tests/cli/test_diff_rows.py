"""`ldv diff --rows`: the row-diff engine (porcelain/rowdiff) wired into the CLI."""
from __future__ import annotations

import json


def _commit_versions(repo, path: str, v1: str, v2: str) -> None:
    """``path`` committed as ``v1`` (HEAD~1), then as ``v2`` (HEAD)."""
    repo.write(path, v1)
    repo("add", ".")
    repo("commit", "-q", "-m", "v1")
    repo.write(path, v2)
    repo("commit", "-q", "-am", "v2")


def _two_versions(repo):
    _commit_versions(repo, "d.jsonl",
                     '{"id": 1, "t": "a"}\n{"id": 2, "t": "b"}\n{"id": 3, "t": "c"}\n',
                     '{"id": 1, "t": "a"}\n{"id": 2, "t": "B"}\n')


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


def _chat(rows):
    return "".join(json.dumps({"id": i, "messages": [{"role": "user", "content": c}]}) + "\n"
                   for i, c in rows)


def test_tokenizer_named_on_the_command_line(repo, tmp_path, monkeypatch):
    """--tokenizer MODULE:FUNCTION counts chat tokens with any function."""
    (tmp_path / "chartok.py").write_text("def count(text):\n    return len(text)\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    _commit_versions(repo, "chat.jsonl", _chat([(1, "hello there"), (2, "hi")]),
                     _chat([(1, "hello there"), (2, "hi"), (3, "a b c")]))

    def chat(*opts):
        doc = json.loads(repo("diff", "HEAD~1", "HEAD", "--rows", "--format", "json",
                              *opts).output)
        return doc["files"][0]["diff"]["chat"]
    default = chat()
    assert default["tokenizer"] == "whitespace" and default["delta"]["tokens"] == 3
    chars = chat("--tokenizer", "chartok:count")
    assert chars["tokenizer"] == "chartok:count"
    assert (chars["old"]["tokens"], chars["delta"]["tokens"]) == (13, 5)
    for bad in ("chartok", "nosuchmodule:count", "chartok:nope"):
        r = repo("diff", "HEAD~1", "HEAD", "--rows", "--tokenizer", bad, code=2)
        assert r.stderr.startswith("error: ") and len(r.stderr.strip().splitlines()) == 1


def test_table_format_overrides_the_extension(repo):
    """A CSV named .txt is not tabular by its name; --table-format csv reads it."""
    _commit_versions(repo, "export.txt", "id,v\n1,a\n2,b\n", "id,v\n1,a\n2,B\n3,c\n")
    plain = json.loads(repo("diff", "HEAD~1", "HEAD", "--rows", "--format", "json").output)
    assert plain["files"] == []
    doc = json.loads(repo("diff", "HEAD~1", "HEAD", "--rows", "--key", "id", "--format",
                          "json", "--table-format", "csv", "--", "export.txt").output)
    [f] = doc["files"]
    assert f["path"] == "export.txt" and f["diff"]["new"]["format"] == "csv"
    assert (doc["totals"]["added"], doc["totals"]["modified"]) == (1, 1)
