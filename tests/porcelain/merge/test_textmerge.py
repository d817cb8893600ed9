"""Three-way text merge: fixed cases, and a randomized comparison with git merge-file."""
from __future__ import annotations

import random
import shutil
import subprocess

import pytest

from ldv.porcelain.merge.linediff import diff, split_lines
from ldv.porcelain.merge.textmerge import Labels, conflict_markers, merge_text
from tests.conftest import require_service

BASE = b"one\ntwo\nthree\nfour\nfive\nsix\nseven\n"


def test_disjoint_edits_merge_cleanly():
    ours = BASE.replace(b"two\n", b"TWO\n")
    theirs = BASE.replace(b"six\n", b"SIX\n")
    r = merge_text(BASE, ours, theirs)
    assert r.clean and r.content == b"one\nTWO\nthree\nfour\nfive\nSIX\nseven\n"


def test_one_side_unchanged_takes_the_other_verbatim():
    theirs = b"anything\nat all"
    assert merge_text(BASE, BASE, theirs).content == theirs
    assert merge_text(BASE, theirs, BASE).content == theirs


def test_identical_changes_are_not_a_conflict():
    both = BASE.replace(b"four\n", b"4\n")
    r = merge_text(BASE, both, both)
    assert r.clean and r.content == both


def test_same_line_changed_differently_conflicts_with_git_markers():
    ours = BASE.replace(b"four\n", b"FOUR\n")
    theirs = BASE.replace(b"four\n", b"4\n")
    r = merge_text(BASE, ours, theirs)
    assert r.conflicts == 1
    assert r.content == (b"one\ntwo\nthree\n<<<<<<< ours\nFOUR\n=======\n4\n"
                         b">>>>>>> theirs\nfive\nsix\nseven\n")


def test_adjacent_changes_conflict_as_in_git():
    ours = BASE.replace(b"three\n", b"3\n")
    theirs = BASE.replace(b"four\n", b"4\n")
    assert not merge_text(BASE, ours, theirs).clean


def test_diff3_shows_the_base_section_with_labels():
    ours = BASE.replace(b"four\n", b"FOUR\n")
    theirs = BASE.replace(b"four\n", b"4\n")
    r = merge_text(BASE, ours, theirs, diff3=True, labels=Labels("HEAD", "mb", "topic"))
    assert (b"<<<<<<< HEAD\nFOUR\n||||||| mb\nfour\n=======\n4\n>>>>>>> topic\n"
            in r.content)


def test_missing_final_newline_gets_one_before_a_marker():
    r = merge_text(b"a\nb", b"a\nx", b"a\ny")
    assert r.content == b"a\n<<<<<<< ours\nx\n=======\ny\n>>>>>>> theirs\n"


def test_crlf_files_get_crlf_markers():
    base, ours, theirs = b"a\r\nb\r\n", b"a\r\nx\r\n", b"a\r\ny\r\n"
    r = merge_text(base, ours, theirs)
    assert b"<<<<<<< ours\r\n" in r.content and b"=======\r\n" in r.content


def test_binary_is_a_whole_file_conflict_keeping_ours():
    ours = b"\x00\x01ours"
    r = merge_text(b"\x00base", ours, b"\x00theirs")
    assert r.binary and r.conflicts == 1 and r.content == ours


def test_nul_after_the_probe_window_is_text():
    text = b"x\n" * 5000 + b"\x00\n"
    assert not merge_text(text, text, text).binary


def test_split_lines_keeps_newlines_and_a_trailing_fragment():
    assert split_lines(b"") == []
    assert split_lines(b"a\nb") == [b"a\n", b"b"]
    assert split_lines(b"a\n\n") == [b"a\n", b"\n"]


def test_diff_slides_an_insertion_down_like_xdiff():
    a = split_lines(b"x\na\nb\n")
    b = split_lines(b"x\na\nb\na\nb\n")
    (c,) = diff(a, b)
    assert (c.i1, c.chg1, c.i2, c.chg2) == (3, 0, 3, 2)


# -- against git ---------------------------------------------------------------

def _git_merge_file(tmp_path, base, ours, theirs, diff3):
    for name, data in (("o", ours), ("b", base), ("t", theirs)):
        (tmp_path / name).write_bytes(data)
    args = ["git", "merge-file", "-p", "-L", "ours", "-L", "base", "-L", "theirs"]
    args += ["--diff3"] if diff3 else []
    r = subprocess.run(args + ["o", "b", "t"], cwd=tmp_path, capture_output=True,
                       timeout=20)
    assert r.returncode >= 0 and r.returncode < 128, r.stderr
    return r.stdout, r.returncode


def _mutate(rng, lines, alphabet):
    lines = list(lines)
    for _ in range(rng.randint(0, 4)):
        pos = rng.randint(0, len(lines))
        op = rng.random()
        if op < 0.4 and lines:
            lines[min(pos, len(lines) - 1)] = rng.choice(alphabet)
        elif op < 0.7:
            lines[pos:pos] = [rng.choice(alphabet) for _ in range(rng.randint(1, 3))]
        elif lines:
            del lines[pos:pos + rng.randint(1, 3)]
    return lines


@pytest.mark.parametrize("seed", range(4))
def test_randomized_merges_equal_git_merge_file(tmp_path, seed):
    """Small alphabets make repeated lines, where alignment choices matter most."""
    require_service(shutil.which("git") is not None, "git")
    rng = random.Random(seed)
    for _ in range(60):
        alphabet = [b"%c\n" % c for c in b"abcdefg"[:rng.randint(2, 7)]] + [b"\n", b"}\n"]
        base = [rng.choice(alphabet) for _ in range(rng.randint(0, 15))]
        b = b"".join(base)
        o = b"".join(_mutate(rng, base, alphabet))
        t = b"".join(_mutate(rng, base, alphabet))
        # Missing final newlines and CRLF endings change markers and alignment.
        if rng.random() < 0.2:
            o = o.rstrip(b"\n")
        if rng.random() < 0.2:
            t = t.rstrip(b"\n")
        if rng.random() < 0.1:
            b = b.rstrip(b"\n")
        if rng.random() < 0.1:
            o, t = o.replace(b"\n", b"\r\n"), t.replace(b"\n", b"\r\n")
        diff3 = rng.random() < 0.3
        expected, count = _git_merge_file(tmp_path, b, o, t, diff3)
        got = merge_text(b, o, t, diff3=diff3)
        assert (got.content, got.conflicts) == (expected, count), (b, o, t, diff3)


def test_large_heavily_edited_files_equal_git(tmp_path):
    """Large enough for xdiff's cost cut-offs to matter."""
    require_service(shutil.which("git") is not None, "git")
    rng = random.Random(99)
    alphabet = [b"l%d\n" % i for i in range(50)]
    base = [rng.choice(alphabet) for _ in range(3000)]

    def edit(lines):
        lines = list(lines)
        for _ in range(1500):
            p = rng.randrange(len(lines))
            lines[p:p + rng.randint(0, 1)] = [rng.choice(alphabet)] * rng.randint(0, 1)
        return lines

    b, o, t = (b"".join(x) for x in (base, edit(base), edit(base)))
    expected, count = _git_merge_file(tmp_path, b, o, t, False)
    got = merge_text(b, o, t)
    assert got.content == expected and min(got.conflicts, 127) == count


def test_conflict_markers_are_found_until_resolved():
    ours = BASE.replace(b"four\n", b"FOUR\n")
    theirs = BASE.replace(b"four\n", b"4\n")
    merged = merge_text(BASE, ours, theirs).content
    assert conflict_markers(merged) == [4, 6, 8]
    assert conflict_markers(merge_text(BASE, ours, theirs, diff3=True).content) == [4, 6, 8, 10]
    assert conflict_markers(b"<<<<<<<< eight\n======= x\n=======\r\n") == [2, 3]
    assert conflict_markers(ours) == []
