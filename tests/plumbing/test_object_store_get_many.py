"""get_many and read_each: a file's chunks read and decoded ahead on worker threads,
same answers as get()."""
from __future__ import annotations

import random
import threading
import time

import pytest

from ldv.plumbing.backends.local import LocalBackend
from ldv.plumbing.errors import CorruptObject, CorruptPack, ObjectNotFound
from ldv.plumbing.object_store import PackedObjectDatabase
from ldv.plumbing.odb import ObjType
from ldv.plumbing.pack import PREAMBLE_LEN, pack_path

from tests.plumbing.store_builders import RING, fill, make_store, text, version_chain


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


# -- read_each: the whole read of an object on a worker -----------------------------

class _CountingBackend(LocalBackend):
    """A local backend that records every ranged read (name, offset, length)."""

    def __init__(self, root):
        super().__init__(root)
        self.reads = []

    def get(self, name, offset=0, length=None):
        self.reads.append((name, offset, length))
        return super().get(name, offset, length)


def _repacked_chain(tmp_path, n):
    store = make_store(tmp_path, max_depth=8)
    versions = version_chain(store, n)
    store.flush()
    store.repack([o for o, _ in versions])
    return versions


def test_read_each_reads_a_repacked_chain_with_one_ranged_read(tmp_path):
    versions = _repacked_chain(tmp_path, 6)
    backend = _CountingBackend(tmp_path / "objects")
    reader = PackedObjectDatabase(backend, RING, tmp_path / "objects" / "pack-index",
                                  tmp_path / "locks", pack_size=64 << 10)
    oldest, want = versions[0]
    assert reader.delta_depth(oldest) == 5
    got = list(reader.read_each([(oldest, "tag")], lambda tag, t, d: (tag, t, d)))
    assert got == [("tag", ObjType.CHUNK, want)]
    bodies = [r for r in backend.reads if r[1:] != (0, PREAMBLE_LEN)]
    assert len(bodies) == 1                        # six links, one pread
    pack, top = reader.index.lookup(oldest)
    _pack, full = reader.index.lookup(versions[-1][0])
    assert bodies[0] == (pack_path(pack), top.offset, full.offset + full.length - top.offset)


def test_read_each_runs_then_on_the_workers_in_order(tmp_path):
    versions = _repacked_chain(tmp_path, 5)
    reader = make_store(tmp_path, workers=2)
    threads = []

    def then(tag, type_code, data):
        threads.append(threading.get_ident())
        return tag, data

    items = [(o, i) for i, (o, _d) in enumerate(versions * 3)]
    got = list(reader.read_each(items, then, ahead=4))
    assert got == [(i, d) for i, (_o, d) in enumerate(versions * 3)]
    assert threading.get_ident() not in threads


def test_read_each_stopped_early_waits_for_the_jobs_it_started(tmp_path):
    """``then`` may write to a descriptor the caller closes once the reader stops:
    no job may still be running after close() (or after an error) returns."""
    store = make_store(tmp_path)
    objs = list(fill(store, 12))
    started, finished = [], []

    def then(tag, _t, _d):
        started.append(tag)
        if tag:
            time.sleep(0.02)
        finished.append(tag)
        return tag

    it = store.read_each([(o, i) for i, o in enumerate(objs)], then, ahead=6)
    assert next(it) == 0
    it.close()
    assert sorted(finished) == sorted(started) and len(started) < len(objs) + 1
    started.clear(), finished.clear()
    with pytest.raises(ObjectNotFound):
        list(store.read_each([(o, i) for i, o in enumerate(objs)] + [(bytes(32), 99)],
                             then, ahead=6))
    assert sorted(finished) == sorted(started)


def test_read_each_of_objects_not_yet_flushed(tmp_path):
    """Objects still queued for compression or in the pack being written are
    read as well as stored ones (the queue drains on the calling thread)."""
    store = make_store(tmp_path, workers=2, pack_size=1 << 20)
    rng = random.Random(5)
    datas = [text(rng, 50_000) for _ in range(6)]
    ids = [store.put(ObjType.CHUNK, d) for d in datas]
    ids.append(store.put(ObjType.CHUNK, datas[0][:-9] + b"different", delta_base=ids[0]))
    datas.append(datas[0][:-9] + b"different")
    got = list(store.read_each([(o, None) for o in ids], lambda _g, _t, d: d))
    assert got == datas
    store.flush()
    assert list(store.get_many(ids)) == [(ObjType.CHUNK, d) for d in datas]


def test_read_each_of_a_truncated_pack_says_so(tmp_path):
    versions = _repacked_chain(tmp_path, 4)
    reader = make_store(tmp_path)
    pack, entry = reader.index.lookup(versions[0][0])
    path = reader.backend._path(pack_path(pack))
    with open(path, "r+b") as f:
        f.truncate(entry.offset + entry.length + 10)   # cuts the next link
    with pytest.raises(CorruptPack, match="truncated"):
        list(reader.get_many([versions[0][0]]))


def test_read_each_follows_another_process_repack(tmp_path):
    writer = make_store(tmp_path)
    versions = version_chain(writer, 4)
    writer.close()
    reader = make_store(tmp_path)
    make_store(tmp_path).repack([oid for oid, _ in versions])
    got = list(reader.get_many([oid for oid, _ in versions]))
    assert got == [(ObjType.CHUNK, d) for _o, d in versions]
