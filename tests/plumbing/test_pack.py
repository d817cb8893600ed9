"""pack.py: packs round-trip and reject what is not a pack."""
from __future__ import annotations

import os

import pytest
from hypothesis import given, settings, strategies as st

from ldv.plumbing.backends.memory import MemoryBackend
from ldv.plumbing.errors import CorruptPack
from ldv.plumbing.pack import (KIND_META, PREAMBLE, PREAMBLE_LEN, PackWriter, PartsReader,
                               encode_records, entry_aad, pack_cipher, read_header)

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


def test_delta_bases_in_the_same_pack_cost_a_byte_and_round_trip():
    w = PackWriter(KIND_META, 7, KEYS[7])
    a, b, c, outside = (bytes([i]) * 32 for i in (1, 2, 3, 9))
    w.add(b, 1, 2, b"delta of b", base=a, depth=2)      # its base comes later
    w.add(a, 1, 2, b"delta of a", base=c, depth=1)
    w.add(c, 1, 1, b"full c")
    w.add(outside[:31] + b"\x00", 1, 2, b"delta", base=outside, depth=5)
    name, stream = w.finish()
    backend = MemoryBackend()
    backend.put(name, stream.getvalue())
    assert read_header(name, backend, name, KEYS)[1] == w.entries
    # 3 x (34 + length 1 + base 1 + depth 1) + 35, and 34 + 2 + 32 + 1 for the outside one
    assert len(encode_records(w.entries)) == 3 * 37 - 2 + 69


def _v1_pack(items) -> tuple[str, bytes, list]:
    """A pack in version 1's layout (fixed-width records, base ids in full)."""
    import struct

    import blake3
    w = PackWriter(KIND_META, 7, KEYS[7])
    w.preamble = w.parts[0] = PREAMBLE.pack(b"LDVP", 1, KIND_META, 7, w.salt)
    w._hash = blake3.blake3(w.preamble)
    for oid, t, enc, body in items:
        w.add(oid, t, enc, body, base=bytes(32) if enc == 2 else None,
              depth=2 if enc == 2 else 0)
    header = b"".join(struct.pack(">32sBBI", e.oid, e.type, e.enc, e.length)
                      + (e.base + bytes((e.depth,)) if e.enc == 2 else b"")
                      for e in w.entries)
    hct = w.cipher.encrypt(w.size, header, b"ldv pack header" + w.preamble)
    data = b"".join(w.parts) + hct + struct.pack(">I", len(hct))
    return blake3.blake3(data).hexdigest(), data, w.entries


@settings(max_examples=20, deadline=None)
@given(entries_st)
def test_version_1_packs_are_still_read(items):
    name, data, want = _v1_pack(items)
    backend = MemoryBackend()
    backend.put(name, data)
    assert read_header(name, backend, name, KEYS) == (KIND_META, want)


def test_a_header_naming_a_missing_base_is_corrupt():
    import struct

    import blake3
    w = PackWriter(KIND_META, 7, KEYS[7])
    w.add(b"\x01" * 32, 1, 2, b"delta")
    for ref in (b"\x01", b"\x02"):        # itself; past the last entry
        record = b"\x01" * 32 + b"\x01\x02" + bytes((w.entries[0].length,)) + ref + b"\x01"
        hct = w.cipher.encrypt(w.size, record, b"ldv pack header" + w.preamble)
        data = b"".join(w.parts) + hct + struct.pack(">I", len(hct))
        name = blake3.blake3(data).hexdigest()
        backend = MemoryBackend()
        backend.put(name, data)
        with pytest.raises(CorruptPack):
            read_header(name, backend, name, KEYS)
