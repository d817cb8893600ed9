"""The Workspace verbs on a real (encrypted, packed) repository."""
from __future__ import annotations

import builtins
import io
import os
import time
from pathlib import Path

import pytest

from ldv.plumbing.errors import (BadInput, BadRevision, Conflict, InvalidPath,
                                 WouldClobber)
from ldv.plumbing.keys import MasterKey
from ldv.plumbing.repository import Repo
from ldv.porcelain.commit import NothingToCommit
from ldv.porcelain.worktree import Identity, Workspace
from tests.porcelain.test_vs_git import snapshot

ME = Identity("Ada", "ada@example.com")


@pytest.fixture
def ws(tmp_path):
    root = tmp_path / "work"
    root.mkdir()
    return Workspace(Repo.init(root, MasterKey.generate(), kdf="fast"))


def write(ws, path, data=b"x", mode=0o644):
    p = ws.root / path
    p.parent.mkdir(parents=True, exist_ok=True)
    p.write_bytes(data)
    os.chmod(p, mode)


class OpenSpy:
    """Records files opened under a directory (outside .ldv) while active."""

    def __init__(self, root: Path, monkeypatch):
        self.root, self.opened = str(root), []
        real_open, real_os_open = builtins.open, os.open

        def spy_open(file, *a, **k):
            self._note(file)
            return real_open(file, *a, **k)

        def spy_os_open(path, *a, **k):
            self._note(path)
            return real_os_open(path, *a, **k)
        monkeypatch.setattr(builtins, "open", spy_open)
        monkeypatch.setattr(io, "open", spy_open)
        monkeypatch.setattr(os, "open", spy_os_open)

    def _note(self, path) -> None:
        p = os.fspath(path) if not isinstance(path, int) else ""
        if isinstance(p, bytes):
            p = os.fsdecode(p)
        if p.startswith(self.root) and "/.ldv/" not in p + "/":
            self.opened.append(p)


def test_status_add_and_commit_on_an_unchanged_tree_open_no_file(ws, monkeypatch):
    for i in range(40):
        write(ws, f"d{i % 4}/f{i}.txt", f"row {i}\n".encode())
    time.sleep(0.25)          # past the racy window: entries are trusted when written
    ws.add(["."])
    ws.commit("init", author=ME)
    spy = OpenSpy(ws.root, monkeypatch)
    assert ws.status().clean
    ws.add(["."])
    with pytest.raises(NothingToCommit):
        ws.commit("again", all=True, author=ME)
    assert spy.opened == []
    write(ws, "d0/f0.txt", b"changed\n")
    assert [c.path for c in ws.status().unstaged] == ["d0/f0.txt"]


def test_a_racy_entry_is_hashed_once_then_trusted(ws, monkeypatch):
    from ldv.plumbing import index
    write(ws, "a.txt", b"1\n")
    # racy (unverified) however long add takes after the write on a loaded
    # machine: with the real 20 ms window a slow add made it trusted at once
    window = index.RACY_WINDOW_NS
    monkeypatch.setattr(index, "RACY_WINDOW_NS", 60 * 10**9)
    ws.add(["a.txt"])
    monkeypatch.setattr(index, "RACY_WINDOW_NS", window)
    time.sleep(0.25)
    spy = OpenSpy(ws.root, monkeypatch)
    assert [c.code for c in ws.status().staged] == ["A"]
    assert len(spy.opened) == 1   # hashed once, entry refreshed
    ws.status()
    assert len(spy.opened) == 1


def test_modes_links_empty_files_and_unicode_names_round_trip(ws):
    write(ws, "run.sh", b"#!/bin/sh\necho hi\n", 0o755)
    write(ws, "empty", b"")
    write(ws, "caf\u00e9.txt", b"nfc")              # composed
    write(ws, "cafe\u0301.txt", b"nfd")             # decomposed: another name
    write(ws, "日本/データ.jsonl", b'{"a": 1}\n')
    os.symlink("run.sh", ws.root / "link")
    os.symlink("nowhere/at/all", ws.root / "dangling")
    (ws.root / "empty_dir").mkdir()
    ws.add(["."])
    c1 = ws.commit("all kinds", author=ME)
    before = snapshot(ws.root, ".ldv")
    del before["empty_dir/"]                       # git and ldv do not track it
    for name in os.listdir(ws.root):
        if name != ".ldv":
            p = ws.root / name
            p.unlink() if p.is_symlink() or p.is_file() else __import__("shutil").rmtree(p)
    ws.reset(c1, mode="hard")
    assert snapshot(ws.root, ".ldv") == before
    assert ws.status().clean


def test_switch_rewrites_only_the_files_that_differ(ws):
    for i in range(20):
        write(ws, f"f{i}", f"{i}\n".encode())
    ws.add(["."])
    ws.commit("base", author=ME)
    ws.switch("dev", create=True)
    write(ws, "f3", b"dev\n")
    ws.add(["f3"])
    ws.commit("dev", author=ME)
    inodes = {p.name: p.stat().st_ino for p in ws.root.iterdir() if p.name != ".ldv"}
    ws.switch("main")
    after = {p.name: p.stat().st_ino for p in ws.root.iterdir() if p.name != ".ldv"}
    assert [n for n in inodes if inodes[n] != after[n]] == ["f3"]
    assert (ws.root / "f3").read_bytes() == b"3\n"
    assert ws.head_branch() == "main" and ws.status().clean


def test_switch_refuses_to_clobber_and_changes_nothing(ws):
    write(ws, "a", b"1\n")
    ws.add(["a"])
    ws.commit("one", author=ME)
    ws.switch("dev", create=True)
    write(ws, "a", b"2\n")
    write(ws, "new", b"tracked on dev\n")
    ws.add(["."])
    dev = ws.commit("two", author=ME)
    ws.switch("main")
    write(ws, "a", b"local edit\n")
    with pytest.raises(WouldClobber) as exc:
        ws.switch("dev")
    assert "a" in exc.value.paths and "local changes" in exc.value.message
    assert exc.value.hint
    assert (ws.root / "a").read_bytes() == b"local edit\n" and ws.head_branch() == "main"
    ws.restore(["a"])
    write(ws, "new", b"untracked in the way\n")
    with pytest.raises(WouldClobber) as exc:
        ws.switch("dev")
    assert exc.value.paths == ["new"] and "untracked" in exc.value.message
    ws.switch("dev", force=True)
    assert ws.head_commit() == dev and (ws.root / "new").read_bytes() == b"tracked on dev\n"


def test_local_changes_to_unaffected_files_carry_over(ws):
    write(ws, "a", b"1\n")
    write(ws, "b", b"1\n")
    ws.add(["."])
    ws.commit("one", author=ME)
    ws.switch("dev", create=True)
    write(ws, "b", b"dirty\n")
    ws.switch("main")
    assert (ws.root / "b").read_bytes() == b"dirty\n"
    assert ws.status().porcelain_lines() == [" M b"]


def test_detached_checkout_restore_and_reset(ws):
    write(ws, "a", b"1\n")
    ws.add(["a"])
    c1 = ws.commit("one", author=ME)
    write(ws, "a", b"2\n")
    c2 = ws.commit("two", all=True, author=ME)
    ws.checkout_detached(c1)
    assert ws.head_branch() is None and (ws.root / "a").read_bytes() == b"1\n"
    ws.switch("main")
    ws.checkout_paths(["a"], source=c1)
    assert ws.status().porcelain_lines() == ["M  a"]
    ws.restore(["a"], staged=True)
    assert ws.status().porcelain_lines() == [" M a"]
    ws.restore(["a"])
    assert ws.status().clean
    ws.reset(c1, mode="soft")
    assert ws.head_commit() == c1 and ws.status().porcelain_lines() == ["M  a"]
    ws.reset(c1, mode="mixed")
    assert ws.status().porcelain_lines() == [" M a"]
    ws.reset(c2, mode="hard")
    assert ws.status().clean and (ws.root / "a").read_bytes() == b"2\n"


def test_rm_and_mv(ws):
    write(ws, "dir/a", b"1\n")
    write(ws, "b", b"2\n")
    ws.add(["."])
    ws.commit("one", author=ME)
    with pytest.raises(BadInput):
        ws.rm(["dir"])                      # needs recursive
    ws.mv("b", "dir")
    assert (ws.root / "dir" / "b").read_bytes() == b"2\n"
    assert ws.status().porcelain_lines() == ["D  b", "A  dir/b"]
    write(ws, "dir/a", b"local\n")
    with pytest.raises(Conflict):
        ws.rm(["dir/a"])
    assert ws.rm(["dir"], recursive=True, cached=True) == ["dir/a", "dir/b"]
    assert (ws.root / "dir" / "a").exists()
    ws.add(["dir"])
    assert ws.rm(["dir"], recursive=True, force=True) == ["dir/a", "dir/b"]
    assert not (ws.root / "dir").exists()


def test_ldvignore(ws):
    write(ws, ".ldvignore", b"*.tmp\ncache/\n")
    write(ws, "keep.txt")
    write(ws, "x.tmp")
    write(ws, "cache/big.bin")
    st = ws.status()
    assert st.untracked == [".ldvignore", "keep.txt"]
    ws.add(["."])
    assert sorted(e.path for e in ws.index) == [".ldvignore", "keep.txt"]
    with pytest.raises(BadInput) as exc:
        ws.add(["x.tmp"])
    assert "ignored" in exc.value.message and exc.value.exit_code == 2
    ws.add(["x.tmp"], force=True)
    assert "x.tmp" in ws.index
    ws.add(["cache"], force=True)                 # as `git add -f DIR`
    assert "cache/big.bin" in ws.index


def test_errors_are_typed_with_hints(ws, tmp_path):
    with pytest.raises(BadInput) as exc:
        ws.add(["missing"])
    assert exc.value.exit_code == 2 and exc.value.hint
    with pytest.raises(InvalidPath):
        ws.add([str(tmp_path / "elsewhere")])
    with pytest.raises(InvalidPath):
        ws.add([".ldv/keyring"])
    write(ws, "a")
    ws.add(["a"])
    with pytest.raises(BadInput):
        ws.commit("   \n", author=ME)
    ws.commit("one", author=ME)
    with pytest.raises(NothingToCommit) as exc:
        ws.commit("two", author=ME)
    assert exc.value.exit_code == 1
    assert ws.commit("empty", allow_empty=True, author=ME)
    with pytest.raises(BadRevision):
        ws.switch("nope")
    with pytest.raises(BadInput):
        ws.switch("main", create=True)


def test_progress_is_reported(tmp_path):
    root = tmp_path / "w"
    root.mkdir()
    seen = []
    ws = Workspace(Repo.init(root, MasterKey.generate(), kdf="fast"),
                   progress=lambda label, done, total: seen.append((label, done, total)))
    for i in range(3):
        write(ws, f"f{i}", b"data")
    write(ws, "big", os.urandom(3 * 2**20))       # read in pieces: the bar moves
    ws.add(["."])
    total = 3 * 4 + 3 * 2**20
    assert all(label == "add" and t == total for label, _, t in seen)
    done = [d for _, d, _ in seen]
    assert done == sorted(done) and done[-1] == total and len(done) > 4


def test_index_is_sealed(ws):
    write(ws, "secret-name.csv", b"x")
    ws.add(["."])
    raw = (ws.root / ".ldv" / "index").read_bytes()
    assert b"secret-name" not in raw


def test_paths_are_relative_to_cwd(tmp_path):
    root = tmp_path / "w"
    (root / "sub").mkdir(parents=True)
    ws = Workspace(Repo.init(root, MasterKey.generate(), kdf="fast"), cwd=root / "sub")
    (root / "sub" / "f").write_bytes(b"1")
    ws.add(["f"])
    assert [e.path for e in ws.index] == ["sub/f"]


@pytest.mark.parametrize("extra", [-1, 0, 1, 2**17])
def test_small_file_fast_path_gives_the_chunkers_blob(tmp_path, extra):
    from ldv.plumbing.blobs import write_blob
    from ldv.plumbing.chunking import Chunker
    from ldv.plumbing.odb import MemoryObjectDatabase
    from ldv.porcelain.workfiles import store_file
    chunker = Chunker(7)
    for n in (0, 1, 100, chunker.min_size + extra):
        f = tmp_path / "f"
        f.write_bytes(os.urandom(n))
        ours = store_file(MemoryObjectDatabase(), tmp_path, "f", os.lstat(f), chunker)
        with open(f, "rb") as stream:
            assert ours == write_blob(MemoryObjectDatabase(), stream, chunker=chunker)


def test_status_add_commit_stay_lean(tmp_path):
    """Start-up matters (`ldv status` well under 200 ms): the local verbs must not
    pull in the merge engines, DuckDB, pyarrow or the HTTP client."""
    import subprocess
    import sys
    code = f"""
import sys
from pathlib import Path
from ldv.plumbing.keys import MasterKey
from ldv.plumbing.repository import Repo
from ldv.porcelain.worktree import Identity, Workspace
root = Path({str(tmp_path)!r}) / "w"
root.mkdir()
ws = Workspace(Repo.init(root, MasterKey.generate(), kdf="fast"))
(root / "f").write_text("x")
ws.add(["f"])
ws.commit("m", author=Identity("a", "b"))
ws.status()
ws.switch("dev", create=True)
ws.reset(ws.head_commit(), mode="mixed")
print(sorted(m for m in ("duckdb", "pyarrow", "httpx", "ldv.porcelain.mergeops", "click")
             if m in sys.modules))
"""
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, check=True)
    assert out.stdout.decode().strip() == "[]", out.stderr


def test_checkout_progress_counts_bytes(tmp_path):
    root = tmp_path / "w"
    root.mkdir()
    seen = []
    ws = Workspace(Repo.init(root, MasterKey.generate(), kdf="fast"),
                   progress=lambda label, done, total: seen.append((label, done, total)))
    write(ws, "big", os.urandom(2 * 2**20 + 5))
    ws.add(["big"])
    c1 = ws.commit("one", author=ME)
    write(ws, "big", os.urandom(2 * 2**20 + 7))
    ws.commit("two", all=True, author=ME)
    seen.clear()
    ws.checkout_detached(c1)
    assert seen and seen[-1] == ("checkout", 2 * 2**20 + 5, 2 * 2**20 + 5)
