"""pack.py and pack_index.py: the on-disk formats round-trip."""
from __future__ import annotations

import os

import pytest
from hypothesis import given, settings, strategies as st

from ldv.plumbing import crypto
from ldv.plumbing.backends.memory import MemoryBackend
from ldv.plumbing.errors import CorruptIndex, CorruptPack
from ldv.plumbing.pack import (KIND_META, PREAMBLE_LEN, PackEntry, PackWriter, PartsReader,
                               entry_aad, pack_cipher, read_header)
from ldv.plumbing.pack_index import PackIndex

KEYS = {7: os.urandom(32)}

entries_st = st.lists(st.tuples(st.binary(min_size=32, max_size=32), st.integers(1, 8),
                                st.sampled_from([0, 1, 2]), st.binary(max_size=300)),
                      max_size=20, unique_by=lambda t: t[0])


@settings(max_examples=40, deadline=None)
@given(entries_st)
def test_pack_round_trip(items):
    w = PackWriter(KIND_META, 7, KEYS[7])
    for oid, t, enc, body in items:
        w.add(oid, t, enc, body, base=bytes(32) if enc == 2 else None,
              depth=3 if enc == 2 else 0)
    name, stream = w.finish()
    data = stream.getvalue()
    backend = MemoryBackend()
    backend.put(name, data)
    kind, entries = read_header(name, backend, name, KEYS)
    assert kind == KIND_META and entries == w.entries
    _k, key_id, cipher = pack_cipher(name, data[:PREAMBLE_LEN], KEYS)
    for (oid, t, enc, body), e in zip(items, entries):
        ct = data[e.offset:e.offset + e.length]
        assert cipher.decrypt(e.offset, ct, entry_aad(oid, t, enc, key_id)) == body


def test_not_a_pack():
    backend = MemoryBackend()
    backend.put("x", b"garbage" * 20)
    with pytest.raises(CorruptPack):
        read_header("x", backend, "x", KEYS)


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


@settings(max_examples=40, deadline=None)
@given(st.lists(st.binary(max_size=50), max_size=10), st.lists(st.integers(-1, 70), max_size=30))
def test_parts_reader_streams_exact_bytes(parts, sizes):
    r, out = PartsReader(list(parts)), []
    for n in sizes:
        out.append(r.read(n))
    out.append(r.read())
    assert b"".join(out) == b"".join(parts)
    assert r.read(5) == b""
