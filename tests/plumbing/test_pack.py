"""pack.py: packs round-trip and reject what is not a pack."""
from __future__ import annotations

import os

import pytest
from hypothesis import given, settings, strategies as st

from ldv.plumbing.backends.memory import MemoryBackend
from ldv.plumbing.errors import CorruptPack
from ldv.plumbing.pack import (KIND_META, PREAMBLE_LEN, PackWriter, PartsReader,
                               entry_aad, pack_cipher, read_header)

from tests.plumbing.store_builders import entries_st

KEYS = {7: os.urandom(32)}


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


@settings(max_examples=40, deadline=None)
@given(st.lists(st.binary(max_size=50), max_size=10), st.lists(st.integers(-1, 70), max_size=30))
def test_parts_reader_streams_exact_bytes(parts, sizes):
    r, out = PartsReader(list(parts)), []
    for n in sizes:
        out.append(r.read(n))
    out.append(r.read())
    assert b"".join(out) == b"".join(parts)
    assert r.read(5) == b""
