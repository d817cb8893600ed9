"""PackIndex.chain: a delta chain with one id search, followed by base record
numbers; and the object store's read path built on it."""
from __future__ import annotations

import struct

import blake3
import pytest
from hypothesis import given, settings, strategies as st

from ldv.plumbing.errors import CorruptIndex, ObjectNotFound
from ldv.plumbing.odb import ObjType
from ldv.plumbing.pack import PREAMBLE_LEN, PackEntry
from ldv.plumbing.pack_index import PackIndex

from tests.plumbing.store_builders import make_store, version_chain

A, B, C = "aa" * 32, "bb" * 32, "cc" * 32


def _oid(n: int) -> bytes:
    return blake3.blake3(b"%d" % n).digest()


def _pack(ids_and_bases, offset=PREAMBLE_LEN):
    """Entries laid side by side; a base None is a full (zstd) object."""
    out = []
    for oid, base, depth in ids_and_bases:
        out.append(PackEntry(oid, 1, 2 if base else 1, offset, 40 + len(out), base, depth))
        offset += 40 + len(out)
    return out


def _walk(idx: PackIndex, oid: bytes):
    """The chain the slow way: one lookup per link."""
    links = []
    while True:
        hit = idx.lookup(oid)
        if hit is None:
            return (links, oid) if links else None
        pack, e = hit
        links.append((pack, e.oid, e.type, e.enc, e.offset, e.length))
        if e.base is None:
            return links, None
        oid = e.base


def _link(pack, e):
    return (pack, e.oid, e.type, e.enc, e.offset, e.length)


def test_chain_across_packs_saved_and_unsaved(tmp_path):
    o = [_oid(i) for i in range(6)]
    full = _pack([(o[0], None, 0), (o[1], o[0], 1)])                 # pack A
    mid = _pack([(o[2], o[1], 2), (o[3], o[2], 3)])                  # pack B: base in A
    top = _pack([(o[4], o[3], 4), (o[5], o[4], 5)])                  # pack C
    idx = PackIndex(tmp_path / "i")
    idx.add(A, 0, full)
    idx.add(B, 0, mid)
    idx.save()
    idx.add(C, 0, top)                                               # not saved: _new
    want = [_link(C, top[1]), _link(C, top[0]), _link(B, mid[1]), _link(B, mid[0]),
            _link(A, full[1]), _link(A, full[0])]
    assert idx.chain(o[5]) == (want, None)
    assert idx.chain(o[3]) == (want[2:], None)
    assert idx.chain(o[0]) == (want[5:], None)
    idx.save()
    again = PackIndex(tmp_path / "i")
    assert again.chain(o[5]) == (want, None)
    assert again.chain(o[5]) == _walk(again, o[5])
    assert again.chain(_oid(99)) is None


def test_chain_stops_at_a_base_outside_the_index_and_continues_when_it_arrives(tmp_path):
    base, mid, top = _oid(1), _oid(2), _oid(3)
    deltas = _pack([(mid, base, 1), (top, mid, 2)])
    idx = PackIndex(tmp_path / "i")
    idx.add(A, 0, deltas)
    idx.save()
    idx = PackIndex(tmp_path / "i")                    # the base is an "outside" row
    assert idx.chain(top) == ([_link(A, deltas[1]), _link(A, deltas[0])], base)
    full = _pack([(base, None, 0)])
    idx.add(B, 0, full)                                # arrives, not saved yet
    want = [_link(A, deltas[1]), _link(A, deltas[0]), _link(B, full[0])]
    assert idx.chain(top) == (want, None)
    idx.save()                                         # now a record number
    assert PackIndex(tmp_path / "i").chain(top) == (want, None)


def test_chain_of_a_version_1_index(tmp_path):
    from tests.plumbing.test_pack_index import _v1_bytes
    o = [_oid(i) for i in range(4)]
    es = _pack([(o[0], None, 0), (o[1], o[0], 1), (o[2], o[1], 2), (o[3], _oid(9), 1)])
    (tmp_path / "i").write_bytes(_v1_bytes([(A, 0, es)]))
    idx = PackIndex(tmp_path / "i")
    assert idx.chain(o[2]) == ([_link(A, es[2]), _link(A, es[1]), _link(A, es[0])], None)
    assert idx.chain(o[3]) == ([_link(A, es[3])], _oid(9))


def _raw_index(records, rows) -> bytes:
    """A version 2 file by hand: records (id, type, enc) in pack A, delta rows."""
    records = sorted(records)
    parts = [struct.pack(">4sB3xIIII", b"LDVX", 2, 1, len(records), len(rows), 0),
             struct.pack(">32sB3x", bytes.fromhex(A), 0)]
    parts += [struct.pack(">32sIIIBBBx", oid, 0, 100 + i * 50, 40, t, enc, 1)
              for i, (oid, t, enc) in enumerate(records)]
    parts += [struct.pack(">II", r, b) for r, b in sorted(rows)]
    body = b"".join(parts)
    return body + blake3.blake3(body).digest()


def test_a_damaged_chain_in_the_index_is_corrupt_index(tmp_path):
    x, y = sorted([_oid(1), _oid(2)])
    (tmp_path / "cycle").write_bytes(_raw_index([(x, 1, 2), (y, 1, 2)], [(0, 1), (1, 0)]))
    with pytest.raises(CorruptIndex, match="does not end"):
        PackIndex(tmp_path / "cycle").chain(x)
    (tmp_path / "norow").write_bytes(_raw_index([(x, 1, 2), (y, 1, 1)], []))
    with pytest.raises(CorruptIndex, match="lacks the delta base"):
        PackIndex(tmp_path / "norow").chain(x)
    (tmp_path / "range").write_bytes(_raw_index([(x, 1, 2), (y, 1, 1)], [(0, 7)]))
    with pytest.raises(CorruptIndex, match="lacks the delta base"):
        PackIndex(tmp_path / "range").chain(x)


@settings(max_examples=30, deadline=None)
@given(st.lists(st.integers(0, 7), min_size=1, max_size=40), st.integers(1, 4),
       st.integers(0, 2 ** 16))
def test_chain_equals_lookup_walk(tmp_path_factory, depths, saves, seed):
    """Random forests of chains over several packs and saves: chain() agrees with
    following lookup() link by link, saved or not, including missing bases."""
    root = tmp_path_factory.mktemp("chain")
    idx = PackIndex(root / "i")
    made: list[bytes] = []
    for n, depth in enumerate(depths):
        oid = _oid(seed * 1000 + n)
        base = made[(seed + n * 7) % len(made)] if made and depth else None
        if depth and not base:
            base = _oid(-1 - n)                       # a base never indexed
        pack = f"{n % saves:02x}" * 32
        idx.add(pack, 0, _pack([(oid, base, depth)], PREAMBLE_LEN + 64 * n))
        made.append(oid)
        if n % saves == saves - 1:
            idx.save()
    for index in (idx, PackIndex(root / "i")):
        for oid in made:
            assert index.chain(oid) == _walk(index, oid)


# -- the object store's read path -------------------------------------------------

def test_read_each_of_a_chain_whose_base_is_in_another_pack(tmp_path):
    store = make_store(tmp_path, max_depth=8)
    versions = version_chain(store, 2)
    store.flush()                       # the full object and a delta in one pack
    prev = versions[-1][0]
    for i in range(3):                  # each later delta in a pack of its own
        data = versions[-1][1][:100] + b"next %d" % i + versions[-1][1][107:]
        prev = store.put(ObjType.CHUNK, data, delta_base=prev)
        versions.append((prev, data))
        store.flush()
    reader = make_store(tmp_path)
    top, want = versions[-1]
    links, rest = reader.index.chain(top)
    assert rest is None and len(links) == 5 and len({p for p, *_ in links}) == 4
    assert list(reader.read_each([(o, o) for o, _ in versions],
                                 lambda tag, t, d: (tag, d))) == \
        [(o, d) for o, d in versions]
    assert reader.get(top) == (ObjType.CHUNK, want)


def test_read_each_of_a_chain_with_a_missing_base_is_object_not_found(tmp_path):
    store = make_store(tmp_path, max_depth=8)
    versions = version_chain(store, 3)
    store.flush()
    base_pack, _e = store.index.lookup(versions[0][0])
    later = []
    for i in range(2):
        data = versions[-1][1][:50] + b"late %d" % i + versions[-1][1][56:]
        later.append((store.put(ObjType.CHUNK, data, delta_base=versions[-1][0]), data))
        store.flush()
    # an index that lacks the pack of the chain's bottom (a partial clone)
    packs = [(n, k, store.pack_entries(n)[1]) for n, k in store.index.pack_names()
             if n != base_pack]
    PackIndex.write_fresh(tmp_path / "objects" / "pack-index", packs)
    reader = make_store(tmp_path)
    missing = versions[-1][0]                 # the base of both later deltas
    assert reader.index.lookup(versions[0][0]) is None
    assert reader.index.chain(later[0][0])[1] is not None      # stops short
    with pytest.raises(ObjectNotFound, match=missing.hex()):
        list(reader.read_each([(later[0][0], None)], lambda tag, t, d: d))
    with pytest.raises(ObjectNotFound):
        reader.get(later[1][0])


def test_read_each_through_unflushed_and_indexed_links(tmp_path):
    """A delta still in the pack being written on a base in a stored pack."""
    store = make_store(tmp_path, max_depth=8, pack_size=1 << 30)
    versions = version_chain(store, 3)
    store.flush()
    data = versions[-1][1][:10] + b"pending" + versions[-1][1][17:]
    top = store.put(ObjType.CHUNK, data, delta_base=versions[-1][0])
    store._drain(keep=0)
    assert top in store._pending and top not in store.index
    assert list(store.read_each([(top, 1)], lambda tag, t, d: (tag, t, d))) == \
        [(1, ObjType.CHUNK, data)]


# -- a version 1 index is saved as version 2 once, not upgraded on every load -------

def test_a_version_1_index_is_written_as_version_2_on_first_load(tmp_path):
    from ldv.plumbing.lock import Lock

    from tests.plumbing.test_pack_index import _v1_bytes
    store = make_store(tmp_path, max_depth=8)
    versions = version_chain(store, 4)
    store.flush()
    packs = [(n, k, store.pack_entries(n)[1]) for n, k in store.index.pack_names()]
    path = tmp_path / "objects" / "pack-index"
    v1 = _v1_bytes(packs)
    path.write_bytes(v1)
    with Lock(tmp_path / "locks" / "index"):       # another writer holds the lock
        held = make_store(tmp_path)
        assert held.index.upgraded and path.read_bytes() == v1
        assert list(held.get_many(o for o, _ in versions)) == \
            [(ObjType.CHUNK, d) for _o, d in versions]
    reader = make_store(tmp_path)
    assert not reader.index.upgraded
    raw = path.read_bytes()
    assert raw[4] == 2 and raw != v1
    assert not PackIndex(path).upgraded
    assert list(reader.get_many(o for o, _ in versions)) == \
        [(ObjType.CHUNK, d) for _o, d in versions]
    top = versions[-1][0]
    assert PackIndex(path).chain(top) == reader.index.chain(top)
    assert len(reader.index.chain(top)[0]) == 4
