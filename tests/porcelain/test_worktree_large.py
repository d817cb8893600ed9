"""A file over 4 GiB (sparse, so the test needs no disk) round-trips exactly and
comes back sparse."""
from __future__ import annotations

import os

import pytest

from ldv.plumbing.blobs import blob_size
from ldv.plumbing.keys import MasterKey
from ldv.plumbing.repository import Repo
from ldv.porcelain.worktree import Identity, Workspace

SIZE = 2**32 + 2**20 + 12_345     # past every 32-bit boundary


@pytest.mark.slow
def test_sparse_file_over_4_gib_round_trips(tmp_path):
    root = tmp_path / "w"
    root.mkdir()
    ws = Workspace(Repo.init(root, MasterKey.generate(), kdf="fast"))
    head, tail = os.urandom(70_000), os.urandom(50_000)
    middle_at = 2**32 - 1000                       # straddles the 4 GiB mark
    with open(root / "big.bin", "wb") as f:
        f.write(head)
        f.seek(middle_at)
        f.write(b"across-the-4GiB-line" * 100)
        f.seek(SIZE - len(tail))
        f.write(tail)
    ws.add(["big.bin"])
    c = ws.commit("big", author=Identity("a", "a@example.com"))
    entry = ws.files_of(ws.tree_of(c))["big.bin"]
    assert entry.size == SIZE and blob_size(ws.repo.odb, entry.oid) == SIZE
    os.remove(root / "big.bin")
    ws.restore(["big.bin"])
    st = os.stat(root / "big.bin")
    assert st.st_size == SIZE
    assert st.st_blocks * 512 < 64 * 2**20          # holes stayed holes
    with open(root / "big.bin", "rb") as f:
        assert f.read(len(head)) == head
        f.seek(middle_at)
        assert f.read(2000) == b"across-the-4GiB-line" * 100
        f.seek(SIZE - len(tail))
        assert f.read() == tail
