"""The native work-tree scan (plumbing/_native.c) against the pure-Python walk: the same
Status on random trees and random edits, including untracked and ignored files,
deletions, type changes and directories replaced by files."""
from __future__ import annotations

import os
import random
import shutil
import time

import pytest

from ldv.plumbing.keys import MasterKey
from ldv.plumbing.repository import Repo
from ldv.porcelain import status as status_mod
from ldv.porcelain.worktree import Workspace
from tests.porcelain.test_worktree import ME, write

native = pytest.importorskip("ldv.plumbing._native", reason="the C extension is not built")


@pytest.fixture
def ws(tmp_path):
    root = tmp_path / "work"
    root.mkdir()
    return Workspace(Repo.init(root, MasterKey.generate(), kdf="fast"))


def _both(ws, monkeypatch):
    monkeypatch.setattr(status_mod, "NATIVE", True)
    fast = status_mod.compute(ws)
    monkeypatch.setattr(status_mod, "NATIVE", False)
    slow = status_mod.compute(ws)
    monkeypatch.setattr(status_mod, "NATIVE", True)
    return fast, slow


def _view(st):
    return st.porcelain_lines()


NAMES = ["a", "b", "c-d", "c.d", "c", "e f", "ü", "x-", "x"]


def _random_path(rng) -> str:
    return "/".join(rng.choice(NAMES) for _ in range(rng.randint(1, 4)))


def _mutate(ws, rng, tracked: list[str]) -> None:
    root = ws.root
    op = rng.choice(["edit", "new", "newdir", "rm", "rmdir", "todir", "symlink",
                     "ignored", "ignore_rule", "fifo", "touch"])
    target = rng.choice(tracked) if tracked else None
    try:
        if op == "edit" and target:
            write(ws, target, os.urandom(rng.randint(0, 40)))
        elif op == "touch" and target:
            os.utime(root / target, ns=(1, rng.randint(1, 10**18)))
        elif op == "new":
            write(ws, _random_path(rng) + ".new", b"n")
        elif op == "newdir":
            write(ws, _random_path(rng) + "/deep/er.txt", b"n")
        elif op == "rm" and target:
            os.unlink(root / target)
        elif op == "rmdir" and target and "/" in target:
            shutil.rmtree(root / target.rsplit("/", 1)[0])
        elif op == "todir" and target:
            os.unlink(root / target)
            write(ws, target + "/inside.txt", b"i")
        elif op == "symlink" and target:
            os.unlink(root / target)
            os.symlink("elsewhere", root / target)
        elif op == "ignored":
            write(ws, _random_path(rng) + ".tmp", b"t")
        elif op == "ignore_rule":
            d = target.rsplit("/", 1)[0] if target and "/" in target else ""
            write(ws, (d + "/" if d else "") + ".ldvignore", b"*.new\n")
            ws.ignore.reload()
        elif op == "fifo" and target:
            os.unlink(root / target)
            os.mkfifo(root / target)
    except (FileNotFoundError, NotADirectoryError, FileExistsError, IsADirectoryError):
        pass


@pytest.mark.parametrize("seed", range(12))
def test_native_scan_gives_the_python_walks_status(ws, monkeypatch, seed):
    rng = random.Random(seed)
    write(ws, ".ldvignore", b"*.tmp\n")
    made = set()
    for _ in range(rng.randint(5, 40)):
        p = _random_path(rng) + ".txt"
        if any(p.startswith(q + "/") or q.startswith(p + "/") for q in made):
            continue
        made.add(p)
        write(ws, p, b"v %d\n" % rng.randint(0, 9))
    time.sleep(0.25)           # past the racy window
    ws.add(["."])
    ws.commit("base", author=ME)
    fast, slow = _both(ws, monkeypatch)
    assert _view(fast) == _view(slow) == []
    tracked = sorted(made)
    seen: set[str] = set()
    for step in range(8):
        _mutate(ws, rng, tracked)
        fast, slow = _both(ws, monkeypatch)
        assert _view(fast) == _view(slow), f"seed {seed} step {step}"
        seen.update(line[:2] for line in _view(fast))
    assert seen, "the edits changed nothing: the comparison would prove nothing"


def test_native_scan_reports_only_what_differs(ws):
    for i in range(50):
        write(ws, f"d{i % 5}/f{i}.txt", b"%d" % i)
    time.sleep(0.25)
    ws.add(["."])
    ws.commit("base", author=ME)
    from ldv.plumbing.index import load_index
    index = load_index(ws.repo)
    count, records, names = index.packed()
    assert native.scan_tracked(str(ws.root), names, records, count, 2) == ([], [])
    write(ws, "d3/f8.txt", b"changed")
    write(ws, "d1/new.txt", b"new")
    os.unlink(ws.root / "d2/f7.txt")
    index = load_index(ws.repo)
    count, records, names = index.packed()
    mismatched, dirs = native.scan_tracked(str(ws.root), names, records, count, 2)
    assert sorted(index.path_at(i) for i in mismatched) == ["d2/f7.txt", "d3/f8.txt"]
    assert sorted(dirs) == ["d1", "d2"]


def test_native_scan_rejects_a_short_record_buffer(ws):
    with pytest.raises(ValueError):
        native.scan_tracked(str(ws.root), b"a\0", b"", 1, 1)
    with pytest.raises(ValueError):
        native.scan_tracked(str(ws.root), b"", b"\0" * 78, 1, 1)


def test_native_scan_rejects_unsorted_or_surplus_names(ws):
    rec = b"\0" * 78 * 2
    with pytest.raises(ValueError, match="sorted"):
        native.scan_tracked(str(ws.root), b"b\0a\0", rec, 2, 1)
    with pytest.raises(ValueError, match="sorted"):
        native.scan_tracked(str(ws.root), b"a\0a\0", rec, 2, 1)
    with pytest.raises(ValueError, match="more names"):
        native.scan_tracked(str(ws.root), b"a\0b\0c\0", rec, 2, 1)


def test_the_index_remembers_the_commit_it_equals(ws):
    from ldv.plumbing.index import Index, load_index
    write(ws, "a.txt", b"a")
    ws.add(["."])
    first = ws.commit("one", author=ME)
    assert load_index(ws.repo).head == first
    write(ws, "b.txt", b"b")
    ws.add(["b.txt"])
    assert load_index(ws.repo).head is None          # entries changed: not known
    assert [c.path for c in ws.status().staged] == ["b.txt"]
    second = ws.commit("two", author=ME)
    assert load_index(ws.repo).head == second
    ws.checkout_detached(first)
    assert load_index(ws.repo).head == first
    assert ws.status().clean
    ws.reset(second, mode="mixed")
    assert load_index(ws.repo).head == second
    # the head is void once the root tree changes, however that happens
    index = load_index(ws.repo)
    index.tree = None
    index.cache[""] = (bytes(32), 0)
    assert index.head is None
    # an index written before the head field (version 1) still reads
    data = load_index(ws.repo).serialize()
    v1 = data[:4] + b"\1\0" + data[6:24] + data[24 + 32:]
    old = Index.parse(v1)
    assert old.head is None and sorted(old.paths()) == ["a.txt", "b.txt"]
