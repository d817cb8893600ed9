"""pack_index.py: merged saves and fresh writes agree; damage is reported."""
from __future__ import annotations

import pytest
from hypothesis import given, settings, strategies as st

from ldv.plumbing import crypto
from ldv.plumbing.errors import CorruptIndex
from ldv.plumbing.pack import PREAMBLE_LEN, PackEntry
from ldv.plumbing.pack_index import PackIndex

from tests.plumbing.store_builders import entries_st


@settings(max_examples=25, deadline=None)
@given(st.lists(entries_st, min_size=1, max_size=4))
def test_index_save_merge_and_fresh_write_agree(tmp_path_factory, packs):
    root = tmp_path_factory.mktemp("idx")
    idx = PackIndex(root / "a")
    all_packs, want = [], {}
    for n, items in enumerate(packs):
        name = crypto.random_bytes(32).hex()
        es, off = [], PREAMBLE_LEN
        for oid, t, enc, body in items:
            es.append(PackEntry(oid, t, enc, off, len(body) + 16,
                                bytes([n]) * 32 if enc == 2 else None, enc))
            off += len(body) + 16
        idx.add(name, n % 2, es)
        idx.save()
        all_packs.append((name, n % 2, es))
        for e in es:
            want.setdefault(e.oid, (name, e))
    PackIndex.write_fresh(root / "b", all_packs)
    for path in (root / "a", root / "b"):
        loaded = PackIndex(path)
        assert len(loaded) == len(want)
        assert sorted(loaded.ids()) == sorted(want)
        for oid, hit in want.items():
            assert loaded.lookup(oid) == hit
        assert loaded.lookup(b"\xff" * 32) in (None, want.get(b"\xff" * 32))


def test_damaged_index(tmp_path):
    PackIndex.write_fresh(tmp_path / "i", [("ab" * 32, 0, [PackEntry(b"x" * 32, 1, 0, 26, 20)])])
    raw = bytearray((tmp_path / "i").read_bytes())
    raw[-40] ^= 1
    (tmp_path / "i").write_bytes(bytes(raw))
    with pytest.raises(CorruptIndex):
        PackIndex(tmp_path / "i")
    (tmp_path / "i").write_bytes(b"nonsense")
    with pytest.raises(CorruptIndex):
        PackIndex(tmp_path / "i")
