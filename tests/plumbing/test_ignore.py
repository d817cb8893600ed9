""".ldvignore follows .gitignore: fixed cases, and a randomized comparison with git."""
from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ldv.plumbing.ignore import Ignore, PatternList, parse_line


def ignored(lines, path, is_dir=False):
    return bool(PatternList("", lines).match(path, is_dir))


@pytest.mark.parametrize("lines,path,is_dir,expected", [
    (["*.log"], "a.log", False, True),
    (["*.log"], "deep/dir/a.log", False, True),
    (["*.log"], "a.logx", False, False),
    (["/a.log"], "sub/a.log", False, False),
    (["/a.log"], "a.log", False, True),
    (["build/"], "build", True, True),
    (["build/"], "build", False, False),
    (["doc/*.txt"], "doc/x.txt", False, True),
    (["doc/*.txt"], "doc/sub/x.txt", False, False),
    (["**/foo"], "x/y/foo", False, True),
    (["**/foo"], "foo", False, True),
    (["a/**/b"], "a/b", False, True),
    (["a/**/b"], "a/x/y/b", False, True),
    (["abc/**"], "abc/x/y", False, True),
    (["abc/**"], "abc", True, False),
    (["*.log", "!keep.log"], "keep.log", False, False),
    (["f?o"], "fxo", False, True),
    (["f?o"], "f/o", False, False),
    (["[ab].txt"], "b.txt", False, True),
    (["[!ab].txt"], "b.txt", False, False),
    (["[!ab].txt"], "c.txt", False, True),
    (["\\#x"], "#x", False, True),
    (["#x"], "#x", False, False),
    (["\\!x"], "!x", False, True),
    (["x\\ "], "x ", False, True),
    (["x  "], "x", False, True),
])
def test_patterns(lines, path, is_dir, expected):
    assert ignored(lines, path, is_dir) is expected


def test_comments_and_blanks_compile_to_nothing():
    assert parse_line("") is None
    assert parse_line("# note") is None
    assert parse_line("   ") is None


def test_excluded_directory_cannot_be_reincluded(tmp_path):
    (tmp_path / ".ldvignore").write_text("data/\n!data/keep.txt\n")
    ig = Ignore(tmp_path)
    assert ig.is_ignored("data/keep.txt")
    assert ig.is_ignored("data", True)
    assert not ig.is_ignored("other.txt")


def test_deeper_file_wins(tmp_path):
    (tmp_path / "sub").mkdir()
    (tmp_path / ".ldvignore").write_text("*.csv\n")
    (tmp_path / "sub" / ".ldvignore").write_text("!keep.csv\n")
    ig = Ignore(tmp_path)
    assert ig.is_ignored("a.csv")
    assert ig.is_ignored("sub/x.csv")
    assert not ig.is_ignored("sub/keep.csv")


def test_info_exclude_and_extra_lines(tmp_path):
    (tmp_path / ".ldv" / "info").mkdir(parents=True)
    (tmp_path / ".ldv" / "info" / "exclude").write_text("*.tmp\n")
    ig = Ignore(tmp_path, extra_lines=["*.bak"])
    assert ig.is_ignored("x.tmp") and ig.is_ignored("d/x.bak")
    assert not ig.is_ignored("x.txt")


# -- randomized comparison with git -------------------------------------------------

NAMES = ["a", "b", "c.txt", "d.log", "e f"]
FRAGMENTS = ["a", "b", "c", "*", "**", "?", "[ab]", "[!a]", ".txt", ".log", "/", "d",
             "e f"]


def _paths():
    out = []
    for x in NAMES:
        out.append(x if "." in x else f"{x}.txt")
        for y in NAMES:
            if "." not in x:
                out.append(f"{x}/{y}" if "." in y else f"{x}/{y}.txt")
                for z in ("c.txt", "d.log"):
                    if "." not in y:
                        out.append(f"{x}/{y}/{z}")
    return sorted(set(out))


FILES = _paths()

pattern = st.builds(
    lambda neg, frags, slash: ("!" if neg else "") + "".join(frags) + ("/" if slash else ""),
    st.booleans(), st.lists(st.sampled_from(FRAGMENTS), min_size=1, max_size=4),
    st.booleans())


@pytest.fixture(scope="module")
def scratch():
    d = Path(tempfile.mkdtemp(prefix="ldv-ignore-"))
    yield d
    shutil.rmtree(d, ignore_errors=True)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(root_lines=st.lists(pattern, max_size=4), sub_lines=st.lists(pattern, max_size=3))
def test_matches_git(scratch, root_lines, sub_lines):
    work = scratch / "w"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir()
    subprocess.run(["git", "init", "-q", str(work)], check=True)
    for f in FILES:
        (work / f).parent.mkdir(parents=True, exist_ok=True)
        (work / f).write_text("x")
    for name in (".gitignore", ".ldvignore"):
        (work / name).write_text("\n".join(root_lines) + "\n")
        (work / "a" / name).write_text("\n".join(sub_lines) + "\n")
    out = subprocess.run(
        ["git", "-c", "core.quotepath=off", "ls-files", "-z", "--others", "--ignored",
         "--exclude-standard"], cwd=work, check=True, capture_output=True).stdout
    git_ignored = {p for p in out.decode().split("\0") if p and not p.endswith("ignore")}
    ig = Ignore(work)
    ours = {f for f in FILES if ig.is_ignored(f)}
    assert ours == git_ignored, (root_lines, sub_lines)
