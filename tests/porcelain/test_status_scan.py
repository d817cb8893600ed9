"""status's walk (workfiles.scan_dirs) and its stat comparison on packed keys."""
from __future__ import annotations

import os
import time

import pytest

from ldv.plumbing import index as index_mod
from ldv.plumbing.ignore import Ignore
from ldv.plumbing.keys import MasterKey
from ldv.plumbing.repository import Repo
from ldv.porcelain import workfiles
from ldv.porcelain.worktree import Workspace
from tests.porcelain.test_worktree import ME, OpenSpy, write


@pytest.fixture
def ws(tmp_path):
    root = tmp_path / "work"
    root.mkdir()
    return Workspace(Repo.init(root, MasterKey.generate(), kdf="fast"))


def _scanned(root, ignore=None) -> set[str]:
    ignore = ignore or Ignore(root)
    return {prefix + d.name for prefix, files in workfiles.scan_dirs(root, ignore)
            for d in files}


def test_scan_inherits_ignore_rules_of_a_subdirectory(tmp_path):
    for p in ("top.tmp", "sub/a.txt", "sub/b.tmp", "sub/deeper/c.tmp", "sub/deeper/d.txt",
              "other/e.tmp", ".ldv/objects/x", "nested/.ldv/y"):
        (tmp_path / p).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / p).write_bytes(b"x")
    (tmp_path / "sub" / ".ldvignore").write_text("*.tmp\n")
    assert _scanned(tmp_path) == {"top.tmp", "sub/.ldvignore", "sub/a.txt",
                                  "sub/deeper/d.txt", "other/e.tmp", "nested/.ldv/y"}
    # the same answer as the per-file walk that add uses
    assert {p for p, _ in workfiles.walk(tmp_path, Ignore(tmp_path))} == _scanned(tmp_path)


def test_scan_yields_links_and_files_only_and_follows_no_link(tmp_path):
    (tmp_path / "d").mkdir()
    (tmp_path / "d" / "f").write_bytes(b"x")
    os.symlink("d", tmp_path / "to_dir")
    os.symlink("missing", tmp_path / "dangling")
    os.mkfifo(tmp_path / "pipe")
    assert _scanned(tmp_path) == {"d/f", "to_dir", "dangling"}


def _tree(ws, n: int) -> None:
    for i in range(n):
        write(ws, f"d{i % 7}/s{i % 3}/f{i}.txt", b"row %d\n" % i)
    time.sleep(0.25)          # past the racy window: entries are trusted when written
    ws.add(["."])
    ws.commit("tree", author=ME)


def test_status_on_an_unchanged_tree_builds_no_entry_and_opens_no_file(ws, monkeypatch):
    _tree(ws, 300)
    write(ws, "new/untracked.txt", b"u")
    made = []
    real_init = index_mod.Entry.__init__

    def counting_init(self, *a, **k):
        made.append(a[0] if a else k.get("path"))
        real_init(self, *a, **k)
    monkeypatch.setattr(index_mod.Entry, "__init__", counting_init)
    spy = OpenSpy(ws.root, monkeypatch)
    st = ws.status()
    assert (st.staged, st.unstaged, st.untracked) == ([], [], ["new/"])
    assert made == [] and spy.opened == []
    write(ws, "d1/s1/f1.txt", b"changed, longer\n")
    assert [(c.path, c.code) for c in ws.status().unstaged] == [("d1/s1/f1.txt", "M")]
    assert made == ["d1/s1/f1.txt"]       # only the suspect's entry was built


@pytest.mark.parametrize("how", ["fifo", "dir", "gone"])
def test_a_tracked_file_that_is_no_longer_a_file_shows_deleted(ws, how):
    _tree(ws, 10)
    path = ws.root / "d0/s0/f0.txt"
    path.unlink()
    if how == "fifo":
        os.mkfifo(path)
    elif how == "dir":
        path.mkdir()
        (path / "inside").write_bytes(b"x")
    st = ws.status()
    assert [(c.path, c.code) for c in st.unstaged] == [("d0/s0/f0.txt", "D")]
    assert st.untracked == []     # as git: no untracked directory named like a tracked file


def test_a_tracked_file_under_an_ignored_directory_is_still_compared(ws):
    _tree(ws, 10)
    (ws.root / ".ldvignore").write_text("d1/\n")
    ws.add([".ldvignore"])
    ws.commit("ignore d1", author=ME)
    assert ws.status().clean
    write(ws, "d1/s1/f1.txt", b"changed, longer\n")
    write(ws, "d1/s1/new.txt", b"ignored, untracked")
    st = ws.status()
    assert [(c.path, c.code) for c in st.unstaged] == [("d1/s1/f1.txt", "M")]
    assert st.untracked == []
