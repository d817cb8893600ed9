from __future__ import annotations

import difflib
import json

import pytest

from ldv.plumbing.objects import MODE_EXEC, MODE_FILE, MODE_SYMLINK
from ldv.porcelain.diff import compare
from ldv.porcelain.diff_sides import TreeSide
from ldv.porcelain import revparse

from .history import make_commit, make_repo


@pytest.fixture
def repo(tmp_path):
    r = make_repo(tmp_path)
    yield r
    r.close()


def _diff(repo, a, b, paths=()):
    ta = revparse.resolve_tree(repo, a.hex())
    tb = revparse.resolve_tree(repo, b.hex())
    return compare(TreeSide(repo, ta), TreeSide(repo, tb), list(paths))


def test_statuses_and_name_status(repo):
    a = make_commit(repo, {"keep": b"k\n", "mod": b"1\n2\n", "gone": b"x\n",
                           "link": (MODE_SYMLINK, b"keep"), "run": b"#!/bin/sh\n"}, (), "a", 1)
    b = make_commit(repo, {"keep": b"k\n", "mod": b"1\n3\n", "new/f": b"n\n",
                           "link": b"plain now\n", "run": (MODE_EXEC, b"#!/bin/sh\n")},
                    (a,), "b", 2)
    d = _diff(repo, a, b)
    assert d.name_status() == "D\tgone\nT\tlink\nM\tmod\nA\tnew/f\nM\trun\n"
    assert _diff(repo, a, a).changes == []
    assert [c.path for c in _diff(repo, a, b, ["new"]).changes] == ["new/f"]


def test_patch_matches_unified_diff(repo):
    old = "".join(f"row {i}\n" for i in range(40))
    new = old.replace("row 7\n", "row seven\n").replace("row 30\n", "") + "tail"
    a = make_commit(repo, {"t.jsonl": old.encode()}, (), "a", 1)
    b = make_commit(repo, {"t.jsonl": new.encode()}, (a,), "b", 2)
    patch = _diff(repo, a, b).patch()
    lines = patch.splitlines(True)
    assert lines[0] == "diff --git a/t.jsonl b/t.jsonl\n"
    assert lines[1].startswith("index ") and lines[1].endswith(" 100644\n")
    assert lines[2:4] == ["--- a/t.jsonl\n", "+++ b/t.jsonl\n"]
    expected = list(difflib.unified_diff(old.splitlines(True), new.splitlines(True)))[2:]
    body = "".join(lines[4:])
    assert body.replace("\n\\ No newline at end of file\n", "\n") == \
        "".join(x if x.endswith("\n") else x + "\n" for x in expected)
    assert body.endswith("+tail\n\\ No newline at end of file\n")


def test_binary_new_and_deleted(repo):
    a = make_commit(repo, {"bin": b"\0\1\2" * 10, "old.txt": b"bye\n"}, (), "a", 1)
    b = make_commit(repo, {"bin": b"\0\1\3" * 10, "new.txt": b"hi\n"}, (a,), "b", 2)
    patch = _diff(repo, a, b).patch()
    assert "Binary files a/bin and b/bin differ\n" in patch
    assert "new file mode 100644\n" in patch and "--- /dev/null\n+++ b/new.txt\n" in patch
    assert "deleted file mode 100644\n" in patch and "+++ /dev/null\n@@ -1 +0,0 @@\n-bye\n" in patch


def test_stat_and_json(repo):
    a = make_commit(repo, {"x.txt": b"a\nb\nc\n", "bin": b"\0" * 5}, (), "a", 1)
    b = make_commit(repo, {"x.txt": b"a\nB\nc\nd\n", "bin": b"\0" * 9}, (a,), "b", 2)
    d = _diff(repo, a, b)
    stat = d.stat()
    assert " bin   | Bin 5 -> 9 bytes\n" in stat
    assert " x.txt | 3 ++-\n" in stat
    assert stat.endswith(" 2 files changed, 2 insertions(+), 1 deletion(-)\n")
    j = json.loads(json.dumps(d.to_json()))
    assert j["files_changed"] == 2 and j["insertions"] == 2 and j["deletions"] == 1
    by_path = {c["path"]: c for c in j["changes"]}
    assert by_path["bin"]["binary"] is True and by_path["bin"]["new"]["size"] == 9
    assert by_path["x.txt"]["status"] == "M" and by_path["x.txt"]["old"]["mode"] == "100644"
    assert MODE_FILE == int(by_path["x.txt"]["new"]["mode"], 8)


from hypothesis import given, settings, strategies as st  # noqa: E402

from ldv.porcelain.diff import line_opcodes  # noqa: E402
from ldv.porcelain.diff_render import _hunks  # noqa: E402

_lines = st.lists(st.sampled_from(["a\n", "b\n", "c\n", "d\n", "e"]), max_size=30)


@settings(max_examples=150, deadline=None)
@given(_lines, _lines)
def test_hunks_apply_to_give_the_new_file(a, b):
    """The hunks (common ends trimmed before matching) are a correct patch, in
    difflib's format, and never longer than difflib's own when no end is shared."""
    ours = list(_hunks(a, b, line_opcodes(a, b)))
    assert _apply(a, ours) == b
    if not a or not b or (a[0] != b[0] and a[-1] != b[-1]):
        assert ours == list(difflib.unified_diff(a, b, n=3))[2:]


def _apply(a, hunks):
    import re
    out, pos = [], 0
    for line in hunks:
        m = re.match(r"@@ -(\d+)(?:,(\d+))? \+\d+(?:,\d+)? @@", line)
        if m:
            start = int(m.group(1)) - (0 if m.group(2) != "0" else -1)
            out += a[pos:start - 1]
            pos = start - 1
        elif line[0] == " ":
            assert a[pos] == line[1:]
            out.append(line[1:])
            pos += 1
        elif line[0] == "-":
            assert a[pos] == line[1:]
            pos += 1
        else:
            out.append(line[1:])
    return out + a[pos:]


def test_large_file_with_one_edit_diffs_fast(repo):
    import time
    rows = [f'{{"id": {i}, "text": "row {i}"}}\n' for i in range(200_000)]
    old = "".join(rows)
    rows[123_456] = '{"id": 123456, "text": "edited"}\n'
    a = make_commit(repo, {"big.jsonl": old.encode()}, (), "a", 1)
    b = make_commit(repo, {"big.jsonl": "".join(rows).encode()}, (a,), "b", 2)
    t = time.perf_counter()
    patch = _diff(repo, a, b).patch()
    assert time.perf_counter() - t < 10
    assert "@@ -123454,7 +123454,7 @@\n" in patch
    assert '+{"id": 123456, "text": "edited"}\n' in patch


def test_exact_renames(repo):
    a = make_commit(repo, {"old/name.csv": b"a,b\n1,2\n", "keep": b"k\n", "gone": b"x\n"},
                    (), "a", 1)
    b = make_commit(repo, {"new/name.csv": b"a,b\n1,2\n", "keep": b"k\n", "other": b"y\n"},
                    (a,), "b", 2)
    d = _diff(repo, a, b)
    assert d.name_status() == "D\tgone\nR100\told/name.csv\tnew/name.csv\nA\tother\n"
    patch = d.patch()
    assert "diff --git a/old/name.csv b/new/name.csv\nsimilarity index 100%\n" \
           "rename from old/name.csv\nrename to new/name.csv\n" in patch
    assert " {old => new}/name.csv | 0\n" in d.stat()
    j = d.to_json()["changes"]
    assert [c["status"] for c in j] == ["D", "R", "A"] and j[1]["old_path"] == "old/name.csv"
    ta, tb = (revparse.resolve_tree(repo, x.hex()) for x in (a, b))
    plain = compare(TreeSide(repo, ta), TreeSide(repo, tb), [], renames=False)
    assert [c.status for c in plain.changes] == ["D", "A", "D", "A"]


@pytest.mark.parametrize("a,b,text", [
    ("old/name.csv", "new/name.csv", "{old => new}/name.csv"),
    ("a.txt", "b.txt", "a.txt => b.txt"),
    ("d/x/a.txt", "d/y/a.txt", "d/{x => y}/a.txt"),
    ("d/a.txt", "d/b.txt", "d/{a.txt => b.txt}"),
    ("a.txt", "e/a.txt", "a.txt => e/a.txt"), ("c.txt", "cc.txt", "c.txt => cc.txt")])
def test_rename_text_matches_git(a, b, text):
    """Cases checked against `git diff --stat` of the same renames."""
    from ldv.porcelain.diff_render import rename_text
    assert rename_text(a, b) == text
