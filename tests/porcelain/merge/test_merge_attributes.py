"""``.ldvattributes``: gitattributes-style patterns and the merge settings they give."""
from __future__ import annotations

import pytest

from ldv.plumbing.errors import BadFormat, BadInput
from ldv.porcelain.merge.attributes import Attributes, MergeSettings, compile_pattern

ROOT = """
# datasets
data/*.jsonl     merge=records key=id
*.csv            merge=records key=user,day
exports/**       merge=records format=parquet
notes.md         merge=text
blob.bin         -merge
data/raw.jsonl   !key
"""


@pytest.fixture
def attrs():
    return Attributes.from_files({"": ROOT, "sub": "*.csv merge=text\n"})


def test_pattern_with_slash_is_anchored_to_its_directory(attrs):
    assert attrs.merge_settings("data/a.jsonl") == MergeSettings("records", "jsonl", ("id",))
    # "*" does not cross "/": a deeper file falls back to the extension default
    assert attrs.merge_settings("data/x/a.jsonl") == MergeSettings("records", "jsonl", None)


def test_pattern_without_slash_matches_at_any_depth(attrs):
    assert attrs.merge_settings("a/b/c.csv").key == ("user", "day")


def test_deeper_file_and_later_lines_win(attrs):
    assert attrs.merge_settings("sub/x.csv") == MergeSettings("text")
    assert attrs.merge_settings("data/raw.jsonl") == MergeSettings("records", "jsonl", None)


def test_double_star_and_format_override(attrs):
    assert attrs.merge_settings("exports/2024/q1.bin") == MergeSettings("records", "parquet")


def test_unset_merge_means_binary_and_defaults_by_extension(attrs):
    assert attrs.merge_settings("blob.bin") == MergeSettings("binary")
    assert attrs.merge_settings("notes.md") == MergeSettings("text")
    assert attrs.merge_settings("README") == MergeSettings("text")
    assert attrs.merge_settings("t.parquet") == MergeSettings("records", "parquet")


def test_lookup_reports_values_set_and_unset(attrs):
    assert attrs.lookup("blob.bin") == {"merge": False}
    assert attrs.lookup("data/a.jsonl") == {"merge": "records", "key": "id"}


@pytest.mark.parametrize("pattern,path,hit", [
    ("*.jsonl", "a.jsonl", True), ("*.jsonl", "d/a.jsonl", True),
    ("/top.csv", "top.csv", True), ("/top.csv", "d/top.csv", False),
    ("**/logs/*.csv", "logs/a.csv", True), ("**/logs/*.csv", "x/y/logs/a.csv", True),
    ("a/**/b.csv", "a/b.csv", True), ("a/**/b.csv", "a/x/y/b.csv", True),
    ("file?.csv", "file1.csv", True), ("file?.csv", "file10.csv", False),
    ("[ab].csv", "a.csv", True), ("[!ab].csv", "a.csv", False),
    ("dir/", "dir", False),
])
def test_glob_semantics(pattern, path, hit):
    assert bool(compile_pattern(pattern).match(path)) is hit


def test_errors_say_what_to_write():
    with pytest.raises(BadInput, match="negative patterns"):
        Attributes.from_files({"": "!x.csv merge=text"})
    with pytest.raises(BadInput, match="unknown merge driver"):
        Attributes.from_files({"": "x merge=weird"}).merge_settings("x")
    with pytest.raises(BadFormat, match="record format"):
        Attributes.from_files({"": "x.dat merge=records"}).merge_settings("x.dat")
    with pytest.raises(BadInput, match="key needs field names"):
        Attributes.from_files({"": "*.csv key"}).merge_settings("a.csv")
