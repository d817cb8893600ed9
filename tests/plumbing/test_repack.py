"""repack.py: newest versions full, chains reversed and bounded, dead objects gone."""
from __future__ import annotations

import random

import pytest
from hypothesis import given, settings, strategies as st

from ldv.plumbing.errors import ObjectNotFound
from ldv.plumbing.odb import ObjType

from tests.plumbing.store_builders import fill, make_store, text, version_chain


def test_repack_stores_the_newest_version_full(tmp_path):
    store = make_store(tmp_path, max_depth=4)
    versions = version_chain(store, 10)
    extra = {store.put(ObjType.COMMIT, b"commit %d" % i): i for i in range(3)}
    store.flush()
    assert store._locate(versions[-1][0]).depth > 0
    dead = versions[0][0]
    live = [oid for oid, _ in versions[1:]] + list(extra)
    stats = store.repack(live)
    assert stats["objects"] == len(live) and stats["deltas"] >= 5
    reader = make_store(tmp_path, max_depth=4)
    assert reader._locate(versions[-1][0]).depth == 0
    assert reader._locate(versions[-2][0]).depth == 1
    for oid, data in versions[1:]:
        assert reader.get(oid)[1] == data
        assert reader._locate(oid).depth <= 4
    assert not reader.has(dead)
    assert set(reader.iter_ids()) == set(live)
    assert reader.rebuild_index() == len(live)


def test_repack_keeps_no_delta_on_a_dropped_base(tmp_path):
    store = make_store(tmp_path)
    versions = version_chain(store, 4)
    store.flush()
    live = [versions[1][0], versions[3][0]]     # versions 0 and 2 are dropped
    store.repack(live)
    reader = make_store(tmp_path)
    for oid in live:
        e = reader._locate(oid)
        assert e.base is None or e.base in live
    assert [reader.get(o)[1] for o in live] == [versions[1][1], versions[3][1]]


def test_repack_of_an_unknown_live_id_changes_nothing(tmp_path):
    store = make_store(tmp_path)
    objs = fill(store, 5)
    with pytest.raises(ObjectNotFound):
        store.repack(list(objs) + [bytes(32)])
    fresh = make_store(tmp_path)
    assert all(fresh.get(o) == v for o, v in objs.items())


@settings(max_examples=12, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 1000), st.integers(0, 3999)), min_size=1, max_size=14),
       st.integers(1, 4), st.data())
def test_repack_of_any_version_graph_round_trips(tmp_path_factory, steps, max_depth, draw):
    """Versions branch off any earlier version; any subset stays live."""
    root = tmp_path_factory.mktemp("graph")
    store = make_store(root, max_depth=max_depth, workers=0)
    first = text(random.Random(0), 4000)
    versions = [(store.put(ObjType.CHUNK, first), first)]
    for parent, pos in steps:
        base_id, base = versions[parent % len(versions)]
        data = base[:pos] + b"#%d#" % len(versions) + base[pos + 3:]
        versions.append((store.put(ObjType.CHUNK, data, delta_base=base_id), data))
    store.flush()
    live = {oid for oid, _ in versions
            if draw.draw(st.booleans(), label="live")} or {versions[-1][0]}
    store.repack(live)
    reader = make_store(root, max_depth=max_depth)
    want = dict(versions)
    assert set(reader.iter_ids()) == live
    for oid in live:
        assert reader.get(oid)[1] == want[oid]
        e = reader._locate(oid)
        assert e.depth <= max_depth and (e.base is None or e.base in live)


def test_a_second_repack_keeps_the_newest_version_full(tmp_path):
    """Repack writes chains in version order, so repacking again (or after new
    versions were put on top) does not turn a chain back around."""
    store = make_store(tmp_path, max_depth=20)
    versions = version_chain(store, 6)
    store.flush()
    live = [oid for oid, _ in versions]
    for _ in range(3):
        store.repack(live)
        depths = [make_store(tmp_path)._locate(o).depth for o in live]
        assert depths == [5, 4, 3, 2, 1, 0]
    # two more versions as forward deltas on the (full) newest one, then repack
    rng, data, prev = random.Random(9), versions[-1][1], versions[-1][0]
    for k in range(2):
        pos = rng.randrange(len(data) - 10)
        data = data[:pos] + b"more %d" % k + data[pos + 6:]
        prev = store.put(ObjType.CHUNK, data, delta_base=prev)
        versions.append((prev, data))
    store.flush()
    store.repack([oid for oid, _ in versions])
    reader = make_store(tmp_path)
    assert reader._locate(versions[-1][0]).depth == 0
    assert reader._locate(versions[-2][0]).depth == 1
    for oid, want in versions:
        assert reader.get(oid)[1] == want
