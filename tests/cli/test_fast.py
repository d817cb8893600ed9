"""`ldv status` without click (ldv/cli/fast.py) against the click command: the same
stdout, stderr and exit code on the same repositories, through the real entry
point in a subprocess."""
from __future__ import annotations

import os
import subprocess
import sys

import pytest

from .conftest import subprocess_env

FAST = "from ldv.cli.entry import main; main()"
CLICK = "from ldv.cli.main import main; main()"
FLAGS = [[], ["--porcelain"], ["-s", "-b"], ["--short", "--branch", "--porcelain"]]


def _run(code: str, args, cwd, env):
    return subprocess.run([sys.executable, "-c", code, *args], cwd=cwd, capture_output=True,
                          env=subprocess_env(env), text=True, timeout=60)


def _same(ldv, args):
    fast = _run(FAST, ["status", *args], ldv.root, ldv.env)
    slow = _run(CLICK, ["status", *args], ldv.root, ldv.env)
    assert (fast.returncode, fast.stdout, fast.stderr) == \
        (slow.returncode, slow.stdout, slow.stderr), args
    return fast


def _states(ldv):
    ldv("init", "-q")
    yield "no commits yet"
    ldv.write("a.txt", "alpha\n")
    ldv.write("dir/b.txt", "beta\n")
    ldv("add", ".")
    yield "staged, no commits"
    ldv("commit", "-q", "-m", "one")
    yield "clean"
    ldv.write("a.txt", "alpha, changed\n")
    ldv.write("new dir/ü.txt", "untracked\n")
    os.unlink(ldv.root / "dir" / "b.txt")
    yield "modified, deleted, untracked"
    ldv("add", "a.txt")
    yield "staged and unstaged"
    ldv("commit", "-q", "-a", "-m", "two")
    ldv("switch", "-q", "-c", "side")
    ldv.write("a.txt", "side\n")
    ldv("commit", "-q", "-a", "-m", "side")
    ldv("switch", "-q", "main")
    ldv.write("a.txt", "main\n")
    ldv("commit", "-q", "-a", "-m", "main")
    ldv("merge", "side", code=1)
    yield "unmerged"
    ldv("merge", "--abort")
    ldv("checkout", "-q", "HEAD~1")
    yield "detached"


def test_fast_status_prints_what_the_click_command_prints(ldv):
    seen = set()
    for state in _states(ldv):
        outs = [_same(ldv, flags) for flags in FLAGS]
        assert all(r.returncode == 0 for r in outs), state
        seen.add(outs[1].stdout)
    assert len(seen) >= 5          # the states differ, so the comparison means something


def test_fast_status_errors_match(ldv, tmp_path):
    nowhere = tmp_path / "not-a-repo"
    nowhere.mkdir()
    fast = _run(FAST, ["status"], nowhere, ldv.env)
    slow = _run(CLICK, ["status"], nowhere, ldv.env)
    assert fast.returncode == slow.returncode == 3
    assert fast.stderr == slow.stderr and fast.stderr.count("\n") == 1
    ldv("init", "-q")
    ldv.write("a.txt", "a\n")
    ldv("add", ".")
    index = next(p for p in (ldv.root / ".ldv").iterdir() if p.name.startswith("index"))
    index.write_bytes(index.read_bytes()[:40])            # a damaged index
    r = _same(ldv, ["--porcelain"])
    assert r.returncode == 4 and r.stderr.startswith("error: ")


@pytest.mark.parametrize("args", [["status", "-sb"], ["status", "--help"], ["status", "-q"],
                                  ["status", "--porcelain", "--porcelain"], ["-q", "status"],
                                  ["log"]])
def test_other_arguments_go_to_click(ldv, args):
    ldv("init", "-q")
    probe = ("import sys; from ldv.cli import fast; code = fast.run(sys.argv[1:]); "
             "print(code, 'click' in sys.modules)")
    r = _run(probe, args, ldv.root, ldv.env)
    assert r.stdout.split() == ["None", "False"], r.stderr
    _run(FAST, args, ldv.root, ldv.env)   # and the entry point then runs them with click


def test_fast_status_does_not_load_click(ldv):
    ldv("init", "-q")
    probe = ("import sys; from ldv.cli import fast; code = fast.run(['status']); "
             "print(code, 'click' in sys.modules, file=sys.stderr)")
    r = _run(probe, [], ldv.root, ldv.env)
    assert r.stderr.split()[-2:] == ["0", "False"]
