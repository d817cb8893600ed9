"""object_store.py: the packed, encrypted ObjectDatabase and what it rejects."""
from __future__ import annotations

import os
import random

import blake3
import pytest
from hypothesis import given, settings, strategies as st

from ldv.plumbing.backends.local import LocalBackend
from ldv.plumbing.delta import Encoding
from ldv.plumbing.errors import (CorruptObject, CorruptPack, IntegrityError, MissingKey,
                                 MissingPack, ObjectNotFound)
from ldv.plumbing.keys import Keyring
from ldv.plumbing.object_store import PackedObjectDatabase
from ldv.plumbing.odb import ObjectDatabase, ObjType
from ldv.plumbing.pack import KIND_DATA, KIND_META, PackWriter, pack_path, read_header
from ldv.plumbing.pack_index import PackIndex

from tests.plumbing.store_builders import RING, fill, make_store, text, version_chain

@pytest.fixture(params=[0, 2], ids=["inline", "2 workers"])
def store(tmp_path, request):
    s = make_store(tmp_path, workers=request.param)
    yield s
    s.close()


def test_is_an_object_database(store):
    assert isinstance(store, ObjectDatabase)


def test_round_trip_across_packs_and_reopen(store, tmp_path):
    objs = fill(store, 120)
    assert len(store.pack_names()) > 2
    assert set(store.iter_ids()) == set(objs)
    fresh = make_store(tmp_path)
    for oid, (t, data) in objs.items():
        assert fresh.has(oid)
        assert fresh.get(oid) == (t, data)


def test_put_is_idempotent_and_readable_before_flush(store):
    oid = store.put(ObjType.CHUNK, b"abc" * 100)
    assert store.put(ObjType.CHUNK, b"abc" * 100) == oid
    assert store.get(oid) == (ObjType.CHUNK, b"abc" * 100)
    store.flush()
    assert list(store.iter_ids()) == [oid]


def test_data_and_metadata_go_to_separate_packs_named_by_their_hash(store, tmp_path):
    store.put(ObjType.CHUNK, b"chunk bytes")
    store.put(ObjType.COMMIT, b"commit bytes")
    store.flush()
    kinds = {}
    for name in store.pack_names():
        raw = store.backend.get(pack_path(name))
        assert blake3.blake3(raw).hexdigest() == name
        kind, entries = read_header(name, store.backend, pack_path(name), RING.data_keys)
        kinds[kind] = {e.type for e in entries}
    assert kinds == {KIND_DATA: {ObjType.CHUNK}, KIND_META: {ObjType.COMMIT}}


def test_compression_only_when_it_pays(store):
    a = store.put(ObjType.CHUNK, b"a" * 10000)
    b = store.put(ObjType.CHUNK, os.urandom(10000))
    assert store._locate(a).enc == Encoding.ZSTD and store._locate(a).length < 200
    assert store._locate(b).enc == Encoding.RAW


def test_unknown_object(store):
    with pytest.raises(ObjectNotFound):
        store.get(bytes(32))


def test_delta_is_small_and_exact(store):
    rng = random.Random(5)
    old = text(rng, 60000)
    new = old[:30000] + b"EDITED" + old[30010:]
    a = store.put(ObjType.CHUNK, old)
    b = store.put(ObjType.CHUNK, new, delta_base=a)
    e = store._locate(b)
    assert e.enc == Encoding.DELTA and e.base == a and e.depth == 1
    assert e.length < 100
    store.flush()
    assert make_store(store.index.path.parent.parent).get(b) == (ObjType.CHUNK, new)


def test_delta_needs_a_similar_same_type_stored_base(store):
    a = store.put(ObjType.CHUNK, os.urandom(5000))
    b = store.put(ObjType.CHUNK, os.urandom(5000), delta_base=a)
    c = store.put(ObjType.TREE, b"x" * 100, delta_base=a)
    d = store.put(ObjType.CHUNK, b"y" * 100, delta_base=bytes(32))
    assert [store._locate(o).enc == Encoding.DELTA for o in (b, c, d)] == [False] * 3


@settings(max_examples=15, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 3999), st.binary(min_size=0, max_size=40)),
                min_size=1, max_size=25), st.integers(1, 6))
def test_delta_chains_round_trip_and_stay_bounded(tmp_path_factory, edits, max_depth):
    root = tmp_path_factory.mktemp("chain")
    store = make_store(root, max_depth=max_depth)
    data = text(random.Random(len(edits)), 4000)
    versions, prev = [], None
    for pos, ins in edits:
        data = data[:pos] + ins + data[pos + len(ins):]
        prev = store.put(ObjType.CHUNK, data, delta_base=prev)
        versions.append((prev, data))
    store.flush()
    reader = make_store(root, max_depth=max_depth)
    for oid, want in versions:
        assert reader.get(oid)[1] == want
        assert reader._locate(oid).depth <= max_depth


def test_rebuild_index_from_packs_alone(store, tmp_path):
    objs = fill(store, 60)
    rng = random.Random(2)
    base = store.put(ObjType.CHUNK, text(rng, 9000))
    top = store.put(ObjType.CHUNK, text(rng, 9000)[:100] + b"zz", delta_base=base)
    store.flush()
    store.index.path.unlink()
    fresh = make_store(tmp_path)
    assert fresh.rebuild_index() == len(objs) + 2
    for oid, (t, data) in objs.items():
        assert fresh.get(oid) == (t, data)
    assert fresh.get(top)[0] == ObjType.CHUNK
    assert fresh._locate(top) == store._locate(top)


def _only_pack(store):
    [name] = store.pack_names()
    return name, store.backend.root / pack_path(name)


def test_every_flipped_byte_is_caught(tmp_path):
    store = make_store(tmp_path)
    objs = {store.put(ObjType.CHUNK, d): d for d in (b"one" * 40, os.urandom(300), b"x" * 9)}
    store.flush()
    name, path = _only_pack(store)
    pristine = path.read_bytes()
    for pos in range(len(pristine)):
        raw = bytearray(pristine)
        raw[pos] ^= 0x10
        path.write_bytes(bytes(raw))
        reader = make_store(tmp_path)
        with pytest.raises(CorruptPack):
            reader.check_pack(name)
        failures = 0
        for oid, data in objs.items():
            try:
                assert reader.get(oid)[1] == data     # never wrong bytes
            except (IntegrityError, MissingKey):
                failures += 1
        if failures == 0:   # the flip is in the header or trailer
            with pytest.raises((IntegrityError, MissingKey)):
                reader.rebuild_index()
    path.write_bytes(pristine)


def test_truncated_pack(store, tmp_path):
    oids = [store.put(ObjType.CHUNK, os.urandom(500)) for _ in range(5)]
    store.flush()
    name, path = _only_pack(store)
    path.write_bytes(path.read_bytes()[:800])
    reader = make_store(tmp_path)
    with pytest.raises(CorruptPack, match="truncated"):
        reader.get(oids[-1])
    with pytest.raises(CorruptPack):
        reader.rebuild_index()


def test_missing_pack(store, tmp_path):
    oid = store.put(ObjType.CHUNK, b"data")
    store.flush()
    _name, path = _only_pack(store)
    path.unlink()
    with pytest.raises(MissingPack, match="missing"):
        make_store(tmp_path).get(oid)


def test_swapped_object_in_the_index_is_caught(store, tmp_path):
    a = store.put(ObjType.CHUNK, b"first object")
    b = store.put(ObjType.CHUNK, b"second object")
    store.flush()
    name, _path = _only_pack(store)
    kind, entries = read_header(name, store.backend, pack_path(name), RING.data_keys)
    ea, eb = sorted(entries, key=lambda e: e.oid != a)
    swapped = [type(ea)(a, ea.type, ea.enc, eb.offset, eb.length),
               type(eb)(b, eb.type, eb.enc, ea.offset, ea.length)]
    PackIndex.write_fresh(store.index.path, [(name, kind, swapped)])
    with pytest.raises(CorruptObject):
        make_store(tmp_path).get(a)


def test_valid_ciphertext_under_another_id_is_caught(store, tmp_path):
    """An attacker holding the keys' ciphertext cannot relabel: the id check catches
    a valid encryption of other bytes under this id."""
    victim = store.hasher.oid(ObjType.CHUNK, b"the real content")
    w = PackWriter(KIND_DATA, RING.current_key_id, RING.data_key)
    w.add(victim, ObjType.CHUNK, Encoding.RAW, b"substituted content")
    name, stream = w.finish()
    data = stream.getvalue()
    store.backend.put(pack_path(name), data)
    store.rebuild_index()
    with pytest.raises(CorruptObject, match="does not match its id"):
        store.get(victim)


def test_pack_from_an_unknown_data_key(store, tmp_path):
    oid = store.put(ObjType.CHUNK, b"data")
    store.flush()
    with pytest.raises(MissingKey):
        make_store(tmp_path, ring=Keyring.generate()).get(oid)


def test_damaged_index_is_reported(store, tmp_path):
    fill(store, 5)
    raw = bytearray(store.index.path.read_bytes())
    raw[20] ^= 1
    store.index.path.write_bytes(bytes(raw))
    reader = make_store(tmp_path)      # the index loads on first use
    with pytest.raises(IntegrityError, match="index"):
        reader.has(bytes(32))


def test_two_writers_merge_their_index_entries(tmp_path):
    one, two = make_store(tmp_path), make_store(tmp_path)
    a = one.put(ObjType.CHUNK, b"from one")
    b = two.put(ObjType.CHUNK, b"from two")
    one.flush()
    two.flush()
    fresh = make_store(tmp_path)
    assert fresh.get(a)[1] == b"from one" and fresh.get(b)[1] == b"from two"


def test_packs_flush_at_the_size_bound(tmp_path):
    store = make_store(tmp_path, pack_size=256 << 10)
    for _ in range(64):
        store.put(ObjType.CHUNK, os.urandom(32 << 10))
        assert all(w.size < (256 + 33) << 10 for w in store._writers.values())
    store.flush()
    assert len(store.pack_names()) >= 7


def test_pack_order_is_put_order_with_workers(tmp_path):
    store = make_store(tmp_path, workers=2, pack_size=1 << 30)
    rng = random.Random(9)
    oids = [store.put(ObjType.CHUNK, text(rng, rng.randint(1, 50000)) if i % 2
                      else rng.randbytes(rng.randint(1, 50000))) for i in range(40)]
    store.close()
    [name] = store.pack_names()
    _kind, entries = read_header(name, store.backend, pack_path(name), RING.data_keys)
    assert [e.oid for e in entries] == oids


def test_sync_helpers_carry_delta_bases_and_import_packs(tmp_path, tmp_path_factory):
    src = make_store(tmp_path)
    versions = version_chain(src, 3)
    src.flush()
    tip = versions[-1][0]
    assert src.with_delta_bases([tip]) == {oid for oid, _ in versions}
    dest = make_store(tmp_path_factory.mktemp("dest"))
    for name, _kind in src.index.pack_names():
        assert dest.add_pack(name, src.backend.get(pack_path(name))) >= 1
    assert dest.get(tip)[1] == versions[-1][1]
    assert dest.locate(tip) == src.locate(tip)
    name = src.index.pack_names()[0][0]
    damaged = bytearray(src.backend.get(pack_path(name)))
    damaged[40] ^= 1
    with pytest.raises(CorruptPack):
        make_store(tmp_path_factory.mktemp("d2")).add_pack(name, bytes(damaged))


def test_write_failure_is_a_typed_error(tmp_path):
    from ldv.plumbing.backends.local import atomic_write
    from ldv.plumbing.errors import RepositoryError
    (tmp_path / "ro").mkdir()
    (tmp_path / "ro" / "f").write_bytes(b"old")
    os.chmod(tmp_path / "ro", 0o500)
    try:
        if os.access(tmp_path / "ro", os.W_OK):     # root ignores permissions
            target = tmp_path / "ro" / "f" / "under-a-file"
        else:
            target = tmp_path / "ro" / "f"
        with pytest.raises(RepositoryError, match="cannot write"):
            atomic_write(target, b"new")
    finally:
        os.chmod(tmp_path / "ro", 0o700)
    assert (tmp_path / "ro" / "f").read_bytes() == b"old"


def test_a_long_lived_reader_follows_another_process_repack(tmp_path):
    writer = make_store(tmp_path)
    versions = version_chain(writer, 4)
    writer.close()
    reader = make_store(tmp_path)
    other = make_store(tmp_path)
    late = other.put(ObjType.CHUNK, b"written after the reader opened")
    other.flush()
    assert reader.get(late)[1] == b"written after the reader opened"
    other.repack([oid for oid, _ in versions] + [late])
    for oid, data in versions:
        assert reader.get(oid)[1] == data


def test_read_encoded_returns_the_stored_body(store):
    rng = random.Random(4)
    a = store.put(ObjType.CHUNK, text(rng, 9000))
    b = store.put(ObjType.CHUNK, text(rng, 9000)[:50] + b"!", delta_base=a)
    store.flush()
    for oid in (a, b):
        entry, body = store.read_encoded(oid)
        base = store.get(entry.base)[1] if entry.base else None
        assert store.codec.decode(entry.enc, body, base) == store.get(oid)[1]


class _FailingBackend(LocalBackend):
    """A local backend whose disk is 'full' until ``fail`` is cleared."""

    fail = True

    def put(self, name, data):
        if self.fail and name.startswith("packs/"):
            from ldv.plumbing.errors import RepositoryError
            raise RepositoryError(f"cannot write {name}: No space left on device")
        super().put(name, data)


def test_a_failed_pack_upload_is_retried_by_the_next_flush(tmp_path):
    from ldv.plumbing.errors import RepositoryError
    backend = _FailingBackend(tmp_path / "objects")
    store = PackedObjectDatabase(backend, RING, tmp_path / "objects" / "pack-index",
                                 tmp_path / "locks")
    oid = store.put(ObjType.CHUNK, b"precious")
    with pytest.raises(RepositoryError, match="No space"):
        store.flush()
    assert store.get(oid)[1] == b"precious"
    backend.fail = False
    store.flush()
    assert make_store(tmp_path).get(oid)[1] == b"precious"


def test_rebuild_can_skip_and_report_bad_packs(tmp_path):
    store = make_store(tmp_path)
    good = store.put(ObjType.TREE, b"metadata survives")
    store.put(ObjType.CHUNK, b"data pack gets damaged")
    store.flush()
    data_pack = next(n for n, k in store.index.pack_names() if k == KIND_DATA)
    path = store.backend.root / pack_path(data_pack)
    path.write_bytes(path.read_bytes()[:-3])
    bad = []
    assert store.rebuild_index(on_error=lambda n, e: bad.append((n, type(e)))) == 1
    assert bad == [(data_pack, CorruptPack)]
    assert store.get(good)[1] == b"metadata survives"


def test_import_entry_by_ranged_reads(tmp_path, tmp_path_factory):
    src = make_store(tmp_path)
    versions = version_chain(src, 2)
    src.flush()
    dest = make_store(tmp_path_factory.mktemp("partial"))
    for oid, data in versions:                       # bases first
        pack, entry = src.locate(oid)
        path = pack_path(pack)
        got = dest.import_entry(pack, src.backend.get(path, 0, 26), entry,
                                src.backend.get(path, entry.offset, entry.length))
        assert got == oid and dest.get(oid)[1] == data
    pack, entry = src.locate(versions[0][0])
    bad = bytearray(src.backend.get(pack_path(pack), entry.offset, entry.length))
    bad[3] ^= 1
    with pytest.raises(CorruptObject):
        make_store(tmp_path_factory.mktemp("p2")).import_entry(
            pack, src.backend.get(pack_path(pack), 0, 26), entry, bytes(bad))


def test_a_crash_before_the_index_save_loses_nothing_rebuild_cannot_find(tmp_path):
    store = make_store(tmp_path, workers=0)
    kept = fill(store, 5)
    oid = store.put(ObjType.CHUNK, b"written, then the process died")
    store._finish(KIND_DATA)
    store._wait_uploads()          # the pack is on disk; the index save never ran
    survivor = make_store(tmp_path)
    assert not survivor.has(oid) and all(survivor.has(o) for o in kept)
    survivor.rebuild_index()
    assert survivor.get(oid)[1] == b"written, then the process died"


def test_put_with_a_precomputed_id_stores_under_it(store, tmp_path):
    data = text(random.Random(11), 50000)
    oid = store.hasher.oid(ObjType.CHUNK, data)
    assert store.put(ObjType.CHUNK, data, oid=oid) == oid
    store.flush()
    assert make_store(tmp_path).get(oid) == (ObjType.CHUNK, data)


def test_a_wrong_precomputed_id_is_caught_on_read(store, tmp_path):
    data = text(random.Random(12), 50000)
    wrong = blake3.blake3(b"not the id").digest()
    assert store.put(ObjType.CHUNK, data, oid=wrong) == wrong
    with pytest.raises(CorruptObject, match="does not match its id"):
        store.get(wrong)
    store.flush()
    with pytest.raises(CorruptObject, match="does not match its id"):
        make_store(tmp_path).get(wrong)


def test_memory_store_verifies_a_precomputed_id_on_read():
    from ldv.plumbing.odb import MemoryObjectDatabase
    odb = MemoryObjectDatabase()
    good = odb.put(ObjType.CHUNK, b"abc", oid=odb.hasher.oid(ObjType.CHUNK, b"abc"))
    assert odb.get(good) == (ObjType.CHUNK, b"abc")
    bad = odb.put(ObjType.CHUNK, b"xyz", oid=bytes(32))
    with pytest.raises(CorruptObject):
        odb.get(bad)


def test_workers_decode_delta_chains_of_large_objects(tmp_path):
    """Objects above the inline size go to the workers with their base still
    encoded (a chain several deltas deep); every version reads back exactly."""
    store = make_store(tmp_path, workers=2, pack_size=1 << 20)
    rng = random.Random(13)
    data, prev, versions = text(rng, 120000), None, []
    for k in range(6):
        pos = rng.randrange(len(data) - 20)
        data = data[:pos] + b"EDIT %d" % k + data[pos + 7:]
        prev = store.put(ObjType.CHUNK, data, delta_base=prev)
        versions.append((prev, data))
    store.flush()
    assert [store._locate(o).depth for o, _ in versions] == [0, 1, 2, 3, 4, 5]
    store.close()
    reader = make_store(tmp_path)
    for oid, want in versions:
        assert reader.get(oid) == (ObjType.CHUNK, want)


def test_a_base_that_does_not_match_its_id_fails_the_worker(tmp_path):
    """The worker verifies the base it decodes: a delta is never built on bad bytes."""
    store = make_store(tmp_path, workers=2, pack_size=1 << 20)
    old = text(random.Random(14), 60000)
    bogus = store.put(ObjType.CHUNK, old, oid=blake3.blake3(b"bogus").digest())
    store.flush()
    store.put(ObjType.CHUNK, old[:-5] + b"12345", delta_base=bogus)
    with pytest.raises(CorruptObject, match="does not match its id"):
        store.flush()
