"""merge_file: the per-path entry point picks the engine from .ldvattributes."""
from __future__ import annotations

import json

from ldv.porcelain.merge import Attributes, merge_file
from ldv.porcelain.merge.textmerge import merge_binary

ATTRS = Attributes.from_files({"": "*.jsonl merge=records key=id\n*.dat -merge\n"})


def three(tmp_path, name, base, ours, theirs):
    paths = []
    for side, data in (("b", base), ("o", ours), ("t", theirs)):
        p = tmp_path / f"{side}-{name}"
        p.write_bytes(data)
        paths.append(p)
    return paths


def test_text_path_merges_by_line(tmp_path):
    b, o, t = three(tmp_path, "a.txt", b"1\n2\n3\n4\n5\n", b"one\n2\n3\n4\n5\n",
                    b"1\n2\n3\n4\nfive\n")
    res = merge_file(ATTRS.merge_settings("a.txt"), b, o, t, tmp_path / "out")
    assert res.driver == "text" and res.clean
    assert (tmp_path / "out").read_bytes() == b"one\n2\n3\n4\nfive\n"


def test_record_path_merges_by_key(tmp_path):
    def j(*recs):
        return b"".join(json.dumps(r).encode() + b"\n" for r in recs)
    b, o, t = three(tmp_path, "d.jsonl", j({"id": 1}, {"id": 2}),
                    j({"id": 1, "x": 1}, {"id": 2}), j({"id": 1}, {"id": 2, "y": 2}))
    res = merge_file(ATTRS.merge_settings("d.jsonl"), b, o, t, tmp_path / "out")
    assert res.driver == "records" and res.clean
    assert (tmp_path / "out").read_bytes() == j({"id": 1, "x": 1}, {"id": 2, "y": 2})


def test_unset_merge_is_a_whole_file_conflict_even_for_text(tmp_path):
    b, o, t = three(tmp_path, "x.dat", b"1\n2\n3\n", b"0\n2\n3\n", b"1\n2\n4\n")
    res = merge_file(ATTRS.merge_settings("x.dat"), b, o, t, tmp_path / "out")
    assert res.driver == "binary" and not res.clean
    assert (tmp_path / "out").read_bytes() == b"0\n2\n3\n"


def test_binary_trivial_cases_resolve():
    assert merge_binary(b"\0a", b"\0a", b"\0b").content == b"\0b"
    assert merge_binary(b"\0a", b"\0b", b"\0a").content == b"\0b"
    assert merge_binary(b"\0a", b"\0c", b"\0c").clean
    assert not merge_binary(b"\0a", b"\0b", b"\0c").clean
