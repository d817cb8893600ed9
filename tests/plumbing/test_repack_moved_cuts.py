"""repack.py / delta_base.newer_counterparts: where a cut moved between two
versions of a file, gc stores the old chunks as deltas against the new chunk
holding their bytes, not full."""
from __future__ import annotations

import random

from ldv.plumbing.blobs import iter_node_ids, write_chunk_list
from ldv.plumbing.delta_base import newer_counterparts
from ldv.plumbing.odb import ObjType

from tests.plumbing.store_builders import make_store, text


def edited(rng: random.Random, data: bytes, n: int = 3) -> bytes:
    for _ in range(n):
        pos = rng.randrange(len(data) - 8)
        data = data[:pos] + b"EDIT%04d" % rng.randrange(10 ** 4) + data[pos + 8:]
    return data


def put_file(store, chunks: list[tuple[bytes, bytes | None]]) -> tuple[bytes, list[bytes]]:
    """Store chunks (data, delta base id or None) and a blob listing them."""
    ids = [store.put(ObjType.CHUNK, data, delta_base=base) for data, base in chunks]
    blob, _size = write_chunk_list(store, [(i, len(d)) for i, (d, _b) in zip(ids, chunks)])
    return blob, ids


def with_nodes(store, live: set[bytes]) -> set[bytes]:
    """``live`` plus the inner nodes of its blobs (a chunk list may split,
    depending on the keyring's ids), as gc's reachability walk finds them."""
    return live | {n for oid in live if store._locate(oid).type == ObjType.BLOB
                   for n in iter_node_ids(store, oid)}


def real_depth(store, oid: bytes) -> int:
    depth, e = 0, store._locate(oid)
    while e.base is not None:
        depth, e = depth + 1, store._locate(e.base)
    return depth


def test_newer_counterparts_maps_through_anchors():
    old = [(b"a", 100), (b"x", 30), (b"y", 70), (b"b", 100)]
    new = [(b"a", 100), (b"n", 101), (b"b", 100)]
    assert newer_counterparts(old, new, {}, [1, 2]) == {1: [1], 2: [1]}
    # a split: the old chunk's bytes lie mostly in the second new chunk
    old = [(b"a", 100), (b"x", 100), (b"b", 100)]
    new = [(b"a", 100), (b"m", 30), (b"n", 70), (b"b", 100)]
    assert newer_counterparts(old, new, {}, [1]) == {1: [2, 1]}
    # linked chunks whose lengths differ by a few bytes anchor too; without
    # anchors, offsets decide
    assert newer_counterparts([(b"p", 5000), (b"x", 50)], [(b"q", 5003), (b"n", 50)],
                              {b"p": b"q"}, [1]) == {1: [1]}
    assert newer_counterparts([(b"x", 50), (b"y", 50)], [(b"n", 100)], {}, [1]) == {1: [0]}


def test_a_linked_chunk_whose_cut_moved_is_no_anchor():
    """Old p is linked to new q, but q is 2,000 bytes longer: q took the start
    of x, so x maps through the anchor after it and lands in r."""
    old = [(b"a", 10000), (b"p", 10000), (b"x", 10000), (b"b", 10000)]
    new = [(b"a", 10000), (b"q", 12000), (b"r", 8000), (b"b", 10000)]
    assert newer_counterparts(old, new, {b"p": b"q"}, [2]) == {2: [2, 1]}


def test_two_old_chunks_merged_into_one_are_both_deltas_after_gc(tmp_path):
    rng = random.Random(5)
    store = make_store(tmp_path, workers=0, pack_size=1 << 20)
    pre, a, b, suf = (text(rng, 20000) for _ in range(4))
    blob1, (ip, ia, ib, isuf) = put_file(store, [(pre, None), (a, None), (b, None),
                                                 (suf, None)])
    n = edited(rng, a + b)     # the cut between a and b is gone
    blob2, (_p, i_n, _s) = put_file(store, [(pre, None), (n, ia), (suf, None)])
    store.flush()
    live = with_nodes(store, {blob1, blob2, ip, ia, ib, isuf, i_n})
    full_b = store._locate(ib).length
    for _ in range(2):      # and again: a second gc keeps the layout
        store.repack(live)
        reader = make_store(tmp_path)
        assert reader._locate(i_n).depth == 0
        for old in (ia, ib):
            e = reader._locate(old)
            assert e.base == i_n and e.depth == 1
        assert reader._locate(ib).length < full_b / 20
        for oid, data in ((ia, a), (ib, b), (i_n, n), (ip, pre), (isuf, suf)):
            assert reader.get(oid)[1] == data


def test_a_moved_cut_mid_history_keeps_depths_bounded(tmp_path):
    """v1, v2: chunks a, b; v3, v4: one chunk n.  b2's base is in another
    chain; recorded depths are never below the real ones, and within max_depth."""
    rng = random.Random(8)
    store = make_store(tmp_path, workers=0, pack_size=1 << 20, max_depth=3)
    pre, suf = text(rng, 8000), text(rng, 8000)
    a1, b1 = text(rng, 16000), text(rng, 16000)
    a2, b2 = edited(rng, a1), edited(rng, b1)
    n3 = edited(rng, a2 + b2)
    n4 = edited(rng, n3)
    ends = [(pre, None)], [(suf, None)]
    blob1, (_, ia1, ib1, _) = put_file(store, [*ends[0], (a1, None), (b1, None), *ends[1]])
    blob2, (_, ia2, ib2, _) = put_file(store, [*ends[0], (a2, ia1), (b2, ib1), *ends[1]])
    blob3, (_, in3, _) = put_file(store, [*ends[0], (n3, ia2), *ends[1]])
    blob4, (ip, in4, isuf) = put_file(store, [*ends[0], (n4, in3), *ends[1]])
    store.flush()
    want = {ia1: a1, ib1: b1, ia2: a2, ib2: b2, in3: n3, in4: n4, ip: pre, isuf: suf}
    live = with_nodes(store, set(want) | {blob1, blob2, blob3, blob4})
    for _ in range(2):
        store.repack(live)
        reader = make_store(tmp_path, max_depth=3)
        assert reader._locate(in4).depth == 0
        assert reader._locate(ib2).base == in3
        for oid, data in want.items():
            assert reader.get(oid)[1] == data
            e = reader._locate(oid)
            assert real_depth(reader, oid) <= e.depth <= 3
            assert (e.base is None) == (oid in (in4, ip, isuf))   # the rest are deltas


def test_a_version_put_after_gc_becomes_the_full_one(tmp_path):
    """After gc, the next version is put as a delta on the (full) newest chunk;
    the next gc stores it full and everything older as deltas."""
    rng = random.Random(11)
    store = make_store(tmp_path, workers=0, pack_size=1 << 20)
    pre, a, b, suf = (text(rng, 20000) for _ in range(4))
    blob1, (ip, ia, ib, isuf) = put_file(store, [(pre, None), (a, None), (b, None),
                                                 (suf, None)])
    n = edited(rng, a + b)
    blob2, (_p, i_n, _s) = put_file(store, [(pre, None), (n, ia), (suf, None)])
    store.flush()
    live = with_nodes(store, {blob1, blob2, ip, ia, ib, isuf, i_n})
    store.repack(live)
    n3 = edited(rng, n)
    blob3, (_p, i3, _s) = put_file(store, [(pre, None), (n3, i_n), (suf, None)])
    store.flush()
    live |= with_nodes(store, {blob3, i3})
    store.repack(live)
    reader = make_store(tmp_path)
    assert reader._locate(i3).depth == 0
    want = {ia: a, ib: b, i_n: n, i3: n3, ip: pre, isuf: suf}
    for oid, data in want.items():
        assert reader.get(oid)[1] == data
        e = reader._locate(oid)
        assert (e.base is None) == (oid in (i3, ip, isuf))
        assert real_depth(reader, oid) <= e.depth
