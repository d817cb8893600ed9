"""Tree summaries and the three renderers."""
from __future__ import annotations

import io
import json

from ldv.porcelain.rowdiff import (DiffOptions, FileChange, diff_rows, evaluate_gates, parse_gates,
                                   render, summarize_tree)
from ldv.porcelain.rowdiff.model import SCHEMA_VERSION

from .builders import make_versions, write

TOP_KEYS = {"schema_version", "old", "new", "match", "key", "changed", "counts",
            "columns_changed", "schema", "sample", "drift", "chat"}


def _tree(tmp_path):
    v = make_versions(80, seed=2, n_add=3, n_remove=2, n_modify=4)
    old = write(v.old, tmp_path / "old.parquet", "parquet")
    new = write(v.new, tmp_path / "new.parquet", "parquet")
    extra = write([{"id": i} for i in range(6)], tmp_path / "x.jsonl", "jsonl")
    gone = write([{"id": i} for i in range(9)], tmp_path / "g.csv", "csv")
    junk = tmp_path / "junk.parquet"
    junk.write_bytes(b"not parquet")
    changes = [
        FileChange("data/train.parquet", "M", old, new),
        FileChange("data/extra.jsonl", "A", None, io.BytesIO(extra.read_bytes())),
        FileChange("data/gone.csv", "D", gone, None),
        FileChange("README.md", "M", tmp_path / "a", tmp_path / "b"),  # not tabular
        FileChange("data/junk.parquet", "M", junk, junk),
        FileChange("data/bad.jsonl", "M", lambda: io.BytesIO(b"{not json\n"),
                   lambda: io.BytesIO(b"{}\n")),
    ]
    return v, summarize_tree(changes, DiffOptions(key=("id",), threads=1))


def test_tree_totals_and_errors(tmp_path):
    v, t = _tree(tmp_path)
    assert [f.path for f in t.files] == ["data/bad.jsonl", "data/extra.jsonl", "data/gone.csv",
                                         "data/junk.parquet", "data/train.parquet"]
    c = t.counts
    assert c.added == len(v.added) + 6
    assert c.removed == len(v.removed) + 9
    assert c.modified == len(v.modified)
    assert t.old_rows == len(v.old) + 9 and t.new_rows == len(v.new) + 6
    assert len(t.errors) == 2
    bad = t.files[0].error
    assert "old version data/bad.jsonl is not valid JSONL" in bad and "<stream>" not in bad
    doc = json.loads(render(t, "json"))
    assert doc["schema_version"] == SCHEMA_VERSION and doc["kind"] == "tree"
    assert doc["totals"]["added"] == c.added and doc["totals"]["files"] == 5
    by_path = {f["path"]: f for f in doc["files"]}
    assert by_path["data/extra.jsonl"]["diff"]["old"]["path"] == "/dev/null"
    assert by_path["data/extra.jsonl"]["diff"]["new"]["path"] == "data/extra.jsonl"
    assert by_path["data/junk.parquet"]["diff"] is None
    assert evaluate_gates(parse_gates(["added>=9"]), t) == ["added>=9: added is 9"]


def test_renderers(tmp_path):
    v, t = _tree(tmp_path)
    text = render(t, "text", tripped=["removed>1%: removed is 9"])
    assert "data/train.parquet [M]" in text and "gate tripped: removed>1%" in text
    # the two files that failed are named in the summary, their rows are not in it
    assert text.startswith(f"5 tabular file(s) (2 not diffed): {t.old_rows} -> {t.new_rows} rows")
    assert f"+{t.counts.added} added" in text
    md = render(t, "markdown", tripped=["schema: the schema changed"])
    assert md.startswith("> [!CAUTION]")
    assert f"5 tabular file(s) (2 not diffed), {t.old_rows} → {t.new_rows} rows" in md
    assert "| `data/train.parquet` |" in md and "```diff" in md
    d = t.files[-1].diff
    row = (f"| {d.old.rows} → {d.new.rows} | {d.counts.added} | {d.counts.removed} | "
           f"{d.counts.modified} | {d.counts.unchanged} | same |")
    assert row in md
    doc = json.loads(render(d, "json", tripped=[]))
    assert set(doc) == TOP_KEYS | {"gates"} and doc["gates"] == {"tripped": []}


def test_json_document_shape_is_stable(tmp_path):
    po = write([{"id": 1, "t": "a|b"}], tmp_path / "o.parquet", "parquet")
    pn = write([{"id": 1, "t": "```a|c"}, {"id": 2, "t": None}], tmp_path / "n.parquet",
               "parquet")
    d = diff_rows(po, pn, key=["id"])
    doc = json.loads(render(d, "json"))
    assert set(doc) == TOP_KEYS
    assert set(doc["counts"]) == {"added", "removed", "modified", "unchanged"}
    assert set(doc["schema"]) == {"added", "removed", "retyped"}
    assert set(doc["sample"]) == {"added", "removed", "modified"}
    assert set(doc["drift"]["t"]["old"]) == {"type", "null_fraction", "distinct", "length"}
    md = render(d, "markdown")
    assert "| `t` | 1 |" in md
    assert "\n````diff\n" in md  # a fence longer than any backtick run in the data
    assert render(d, "json") == render(diff_rows(po, pn, key=["id"]), "json")
    pipe = write([{"id": 1, "a|b": 1}], tmp_path / "p.parquet", "parquet")
    pipe2 = write([{"id": 1, "a|b": 2}], tmp_path / "p2.parquet", "parquet")
    assert "| `a\\|b` | 1 |" in render(diff_rows(pipe, pipe2, key=["id"]), "markdown")


def test_long_values_are_clipped_in_text_and_markdown_only(tmp_path):
    long_a, long_b = "a" * 5000, "b" * 5000
    po = write([{"id": 1, "t": long_a}], tmp_path / "o.parquet", "parquet")
    pn = write([{"id": 1, "t": long_b}, {"id": 2, "t": long_b}], tmp_path / "n.parquet",
               "parquet")
    d = diff_rows(po, pn, key=["id"])
    for fmt in ("text", "markdown"):
        out = render(d, fmt)
        assert len(out) < 4000 and "… (5000 chars)" in out
    doc = json.loads(render(d, "json"))
    assert doc["sample"]["modified"][0]["changes"]["t"] == {"old": long_a, "new": long_b}


def test_markdown_tree_report_fits_a_pr_comment(tmp_path):
    wide = {f"col{j}": "x" * 150 for j in range(30)}
    changes = []
    for i in range(8):
        po = write([{"id": 1, **wide}], tmp_path / f"o{i}.parquet", "parquet")
        pn = write([{"id": 2, **wide}], tmp_path / f"n{i}.parquet", "parquet")
        changes.append(FileChange(f"f{i:02d}.parquet", "M", po, pn))
    t = summarize_tree(changes, DiffOptions(key=("id",), threads=1, sample=1))
    md = render(t, "markdown")
    assert len(md) < 65536 and "more file(s) left out" in md
    assert md.count("| `f") == 8  # every file is still in the summary table
