"""The native work-tree scan (plumbing/_native.c) against the pure-Python walk: the same
Status on random trees and random edits, including untracked and ignored files,
deletions, type changes and directories replaced by files."""
from __future__ import annotations

import os
import random
import shutil
import struct
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
    assert native.scan_tracked(str(ws.root), names, records, count, 2)[:2] == ([], [])
    write(ws, "d3/f8.txt", b"changed")
    write(ws, "d1/new.txt", b"new")
    os.unlink(ws.root / "d2/f7.txt")
    index = load_index(ws.repo)
    count, records, names = index.packed()
    mismatched, dirs, _ = native.scan_tracked(str(ws.root), names, records, count, 2)
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


# -- the directory cache (Git's untracked cache) ------------------------------------

def _dir_key(path) -> bytes:
    st = os.lstat(path)
    return struct.pack("<qqQ", st.st_mtime_ns, st.st_ctime_ns, st.st_ino)


def _scan(ws, cache=b"", now_ns=None):
    from ldv.plumbing.index import COARSE_WINDOW_NS, RACY_WINDOW_NS, load_index
    index = load_index(ws.repo)
    count, records, names = index.packed()
    return native.scan_tracked(str(ws.root), names, records, count, 2, cache,
                               now_ns or time.time_ns(), RACY_WINDOW_NS, COARSE_WINDOW_NS)


def _settled_tree(ws):
    for i in range(12):
        write(ws, f"d{i % 3}/f{i}.txt", b"%d" % i)
    ws.add(["."])
    ws.commit("base", author=ME)
    time.sleep(0.1)                     # every directory past the racy window


def test_dir_keys_vouch_only_for_clean_settled_directories(ws):
    _settled_tree(ws)                   # directories: "", d0, d1, d2 in that order
    _, dirs, keys = _scan(ws)
    assert dirs == [] and len(keys) == 4 * 24
    assert [keys[i * 24:(i + 1) * 24] for i in range(4)] == \
        [_dir_key(ws.root / d) for d in ("", "d0", "d1", "d2")]
    write(ws, "d1/new.txt", b"n")       # d1 now holds an untracked name...
    _, dirs, keys2 = _scan(ws, keys)
    assert dirs == ["d1"]               # ...its changed mtime sends the scan to read it
    assert keys2[2 * 24:3 * 24] == bytes(24)          # and it vouches for nothing
    # a directory touched within the racy window is read but not vouched for
    os.unlink(ws.root / "d1/new.txt")
    touched = max(os.lstat(ws.root / "d1").st_mtime_ns, os.lstat(ws.root / "d1").st_ctime_ns)
    _, dirs, keys3 = _scan(ws, keys, now_ns=touched)   # "now": however slow this machine
    assert dirs == [] and keys3[2 * 24:3 * 24] == bytes(24)


def test_dir_cache_is_trusted_for_an_unchanged_key(ws):
    """The cache really saves the read: a key equal to the directory's current one
    is taken on trust (so the test forges one for a directory that changed)."""
    _settled_tree(ws)
    _, _, keys = _scan(ws)
    write(ws, "d2/new.txt", b"n")
    forged = keys[:3 * 24] + _dir_key(ws.root / "d2")
    assert _scan(ws, forged)[1] == []                 # d2 was not read
    assert _scan(ws, keys)[1] == ["d2"]
    assert _scan(ws, b"short")[1] == ["d2"]           # a cache of another shape: unused


def _porcelain(ws):
    return ws.status().porcelain_lines()


def test_status_with_the_cache_sees_every_new_name(ws):
    _settled_tree(ws)
    assert _porcelain(ws) == []
    assert ws.repo.read_secret(status_mod.DIR_CACHE) is not None    # written
    write(ws, "d0/new.txt", b"n")
    assert _porcelain(ws) == ["?? d0/new.txt"]
    os.unlink(ws.root / "d0/new.txt")
    time.sleep(0.1)
    assert _porcelain(ws) == []
    # an mtime forged back is no disguise: the ctime moved
    before = os.lstat(ws.root / "d1")
    write(ws, "d1/sneaky.txt", b"s")
    os.utime(ws.root / "d1", ns=(before.st_atime_ns, before.st_mtime_ns))
    assert _porcelain(ws) == ["?? d1/sneaky.txt"]


def test_the_cache_of_another_index_is_not_used(ws):
    _settled_tree(ws)
    assert _porcelain(ws) == []                       # cache written for this index
    ws.rm(["d2/f5.txt"], cached=True)                 # the file stays; the dir is as it was
    assert _porcelain(ws) == ["D  d2/f5.txt", "?? d2/f5.txt"]


def test_a_damaged_cache_is_ignored_and_rewritten(ws):
    _settled_tree(ws)
    assert _porcelain(ws) == []
    path = ws.repo.ldv_dir / status_mod.DIR_CACHE
    path.write_bytes(b"garbage")
    write(ws, "d0/new.txt", b"n")
    assert _porcelain(ws) == ["?? d0/new.txt"]
    os.unlink(ws.root / "d0/new.txt")
    time.sleep(0.1)
    assert _porcelain(ws) == []
    assert ws.repo.read_secret(status_mod.DIR_CACHE) is not None


def test_the_cache_can_be_turned_off(ws):
    from ldv.plumbing.errors import BadInput
    from ldv.porcelain import config_ops
    _settled_tree(ws)
    config_ops.set_(ws.repo, "core.untrackedCache", "false")
    assert _porcelain(ws) == []
    assert ws.repo.read_secret(status_mod.DIR_CACHE) is None     # never written
    with pytest.raises(BadInput, match="true or false"):
        config_ops.set_(ws.repo, "core.untrackedCache", "no")
    config_ops.set_(ws.repo, "core.untrackedCache", "true")
    assert _porcelain(ws) == []
    assert ws.repo.read_secret(status_mod.DIR_CACHE) is not None
