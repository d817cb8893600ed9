"""LocalBackend keeps a few pack descriptors open per thread; reads stay right."""
from __future__ import annotations

import os
import threading

import pytest

from ldv.plumbing.backends.local import LocalBackend, _OpenPacks
from ldv.plumbing.errors import MissingPack


def open_fds() -> int:
    return len(os.listdir("/proc/self/fd"))


def test_ranged_reads_of_many_packs_keep_few_descriptors(tmp_path):
    b = LocalBackend(tmp_path)
    names = [f"packs/{i:02x}/{i:02x}pack" for i in range(3 * _OpenPacks.MAX)]
    for i, n in enumerate(names):
        b.put(n, bytes([i]) * 100)
    before = open_fds()
    for rnd in range(3):
        for i, n in enumerate(names):
            assert b.get(n, 10 + rnd, 5) == bytes([i]) * 5
    assert open_fds() - before <= _OpenPacks.MAX
    assert b.get("packs/00/00pack") == bytes(100)


def test_put_and_delete_are_seen_by_the_next_read(tmp_path):
    b = LocalBackend(tmp_path)
    b.put("packs/ab/abc", b"old bytes")
    assert b.get("packs/ab/abc", 0, 3) == b"old"
    b.put("packs/ab/abc", b"new bytes")
    assert b.get("packs/ab/abc", 0, 3) == b"new"
    b.delete("packs/ab/abc")
    with pytest.raises(MissingPack):
        b.get("packs/ab/abc", 0, 3)


def test_other_files_are_not_kept_open(tmp_path):
    b = LocalBackend(tmp_path)
    b.put("keyring", b"one")
    before = open_fds()
    assert b.get("keyring") == b"one"
    assert open_fds() == before
    (tmp_path / "keyring").write_bytes(b"two")     # replaced behind its back
    assert b.get("keyring") == b"two"


def test_each_thread_reads_through_its_own_descriptors(tmp_path):
    b = LocalBackend(tmp_path)
    b.put("packs/cd/cd", bytes(range(256)))
    out, errors = [], []

    def reader(k):
        try:
            for i in range(200):
                off = (i * 7 + k) % 250
                out.append(b.get("packs/cd/cd", off, 4) == bytes(range(off, off + 4)))
        except Exception as e:      # surfaced below
            errors.append(e)
    threads = [threading.Thread(target=reader, args=(k,)) for k in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert not errors and len(out) == 800 and all(out)
