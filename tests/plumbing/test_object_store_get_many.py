"""get_many: a file's chunks decoded ahead on worker threads, same answers as get()."""
from __future__ import annotations

import pytest

from ldv.plumbing.errors import CorruptObject, ObjectNotFound
from ldv.plumbing.odb import ObjType
from ldv.plumbing.pack import pack_path

from tests.plumbing.store_builders import fill, make_store, version_chain


@pytest.mark.parametrize("workers", [0, 2])
def test_get_many_equals_get_in_order(tmp_path, workers):
    store = make_store(tmp_path, max_depth=6)
    versions = version_chain(store, 8)
    objs = fill(store, 10)
    store.put(ObjType.COMMIT, b"a commit")
    store.flush()
    store.repack([o for o, _ in versions] + list(objs))   # old versions now deep deltas
    reader = make_store(tmp_path, workers=workers)
    assert max(reader.delta_depth(o) for o, _ in versions) >= 3
    ids = [o for o, _ in versions] * 2 + list(objs)        # repeats are fine
    got = list(reader.get_many(ids, ahead=3))
    assert got == [reader.get(o) for o in ids]
    assert [d for _t, d in got[:len(versions)]] == [d for _o, d in versions]


def test_get_many_of_a_missing_id_raises_and_can_stop_early(tmp_path):
    store = make_store(tmp_path)
    objs = list(fill(store, 6))
    store.flush()
    it = store.get_many(objs, ahead=2)
    assert next(it) == store.get(objs[0])
    it.close()                        # a reader that stops early leaves nothing behind
    with pytest.raises(ObjectNotFound):
        list(store.get_many(objs[:2] + [bytes(32)]))


def test_get_many_of_a_damaged_delta_raises(tmp_path):
    """A flipped byte in a delta chain is caught, not written out as data."""
    store = make_store(tmp_path, max_depth=6)
    versions = version_chain(store, 4)
    store.flush()
    store.repack([o for o, _ in versions])
    reader = make_store(tmp_path)
    oldest = versions[0][0]
    pack, entry = reader.index.lookup(oldest)
    path = reader.backend._path(pack_path(pack))
    raw = bytearray(path.read_bytes())
    raw[entry.offset + 3] ^= 1
    path.write_bytes(bytes(raw))
    with pytest.raises(CorruptObject):
        list(reader.get_many([versions[-1][0], oldest]))


def test_chain_decoding_for_reads_checks_the_top_id(tmp_path):
    """every=False skips the ids of the bases only: the object asked for is checked."""
    from ldv.plumbing.object_store import BaseChain
    store = make_store(tmp_path, max_depth=6)
    versions = version_chain(store, 3)
    store.flush()
    store.repack([o for o, _ in versions])
    reader = make_store(tmp_path)
    oldest, want = versions[0]
    chain = reader._base_chain(oldest)
    assert len(chain.links) == 3
    assert chain.plaintext(reader.codec, reader.hasher, every=False) == want
    top = chain.links[0]
    relabeled = BaseChain(chain.bottom, [(bytes(32),) + top[1:]] + chain.links[1:])
    with pytest.raises(CorruptObject):
        relabeled.plaintext(reader.codec, reader.hasher, every=False)
    mid = chain.links[1]
    wrong_base = BaseChain(chain.bottom, [top, (bytes(32),) + mid[1:]] + chain.links[2:])
    with pytest.raises(CorruptObject):
        wrong_base.plaintext(reader.codec, reader.hasher)
    assert wrong_base.plaintext(reader.codec, reader.hasher, every=False) == want
