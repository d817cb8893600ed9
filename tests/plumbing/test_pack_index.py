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


def _v1_bytes(packs: list[tuple[str, int, list[PackEntry]]]) -> bytes:
    """An index in version 1's layout (deltas as id 32 | base id 32)."""
    import struct

    import blake3
    rows = sorted((e.oid, i, e) for i, (_n, _k, es) in enumerate(packs) for e in es)
    parts = [struct.pack(">4sB3xIII", b"LDVX", 1, len(packs), len(rows),
                         sum(e.enc == 2 for _o, _i, e in rows))]
    parts += [struct.pack(">32sB3x", bytes.fromhex(n), k) for n, k, _ in packs]
    parts += [struct.pack(">32sIIIBBBx", o, i, e.offset, e.length, e.type, e.enc, e.depth)
              for o, i, e in rows]
    parts += [o + e.base for o, _i, e in rows if e.enc == 2]
    body = b"".join(parts)
    return body + blake3.blake3(body).digest()


def _entries(ids_and_bases, offset=PREAMBLE_LEN):
    out = []
    for oid, base in ids_and_bases:
        out.append(PackEntry(oid, 1, 2 if base else 1, offset, 40, base, 1 if base else 0))
        offset += 40
    return out


def test_a_version_1_index_reads_and_is_saved_as_version_2(tmp_path):
    a, b = "aa" * 32, "bb" * 32
    pa = _entries([(b"\x05" * 32, None), (b"\x01" * 32, b"\x05" * 32),
                   (b"\x09" * 32, b"\x77" * 32)])      # a base outside the index
    (tmp_path / "i").write_bytes(_v1_bytes([(a, 0, pa)]))
    old = PackIndex(tmp_path / "i")
    assert [old.lookup(e.oid) for e in pa] == [(a, e) for e in pa]
    pb = _entries([(b"\x03" * 32, b"\x01" * 32)])
    old.add(b, 0, pb)
    old.save()
    raw = (tmp_path / "i").read_bytes()
    assert raw[4] == 2 and len(raw) < len(_v1_bytes([(a, 0, pa), (b, 0, pb)]))
    new = PackIndex(tmp_path / "i")
    assert [new.lookup(e.oid) for e in pa + pb] == [(a, e) for e in pa] + [(b, e) for e in pb]


def test_a_base_outside_the_index_is_resolved_when_its_pack_arrives(tmp_path):
    idx = PackIndex(tmp_path / "i")
    first = _entries([(b"\x20" * 32, b"\x10" * 32), (b"\x30" * 32, b"\x20" * 32)])
    idx.add("aa" * 32, 0, first)
    idx.save()
    with_outside = (tmp_path / "i").stat().st_size
    base = _entries([(b"\x10" * 32, None), (b"\x40" * 32, b"\x10" * 32)])
    idx.add("bb" * 32, 0, base)
    idx.save()
    raw = (tmp_path / "i").read_bytes()
    # a pack, two records and a delta row more; one outside id fewer
    assert len(raw) == with_outside + 36 + 2 * 48 + 8 - 32
    loaded = PackIndex(tmp_path / "i")
    for e in first:
        assert loaded.lookup(e.oid) == ("aa" * 32, e)
    for e in base:
        assert loaded.lookup(e.oid) == ("bb" * 32, e)
