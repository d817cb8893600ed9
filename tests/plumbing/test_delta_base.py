"""Delta base choice: each new chunk is offered the old chunk it replaced."""
from __future__ import annotations

import random

from hypothesis import given, settings, strategies as st

from ldv.plumbing.blobs import decode_node, iter_chunk_ids, read_blob, write_bytes
from ldv.plumbing.delta_base import DeltaBaseChooser
from ldv.plumbing.odb import MemoryObjectDatabase, ObjType

from .test_blobs import SMALL, records


def edited(recs: list[bytes], rng: random.Random, frac: float) -> list[bytes]:
    out = list(recs)
    for i in rng.sample(range(len(out)), max(1, int(len(out) * frac))):
        out[i] = out[i].replace(b'"score": ', b'"score": 1')
    return out


@settings(max_examples=10, deadline=None)
@given(st.integers(0, 10**6), st.sampled_from(["edit", "insert", "delete"]))
def test_delta_base_is_the_aligned_old_chunk(seed, how):
    rng = random.Random(seed)
    recs = records(2000, seed)
    odb = MemoryObjectDatabase()
    old_oid, _ = write_bytes(odb, b"".join(recs), chunker=SMALL)
    old_chunks = list(iter_chunk_ids(odb, old_oid))
    old_data = read_blob(odb, old_oid)
    new = edited(recs, rng, 0.01)
    fresh = range(0)                 # new bytes with no old counterpart
    mid = rng.randrange(100, 1900)
    if how == "insert":
        new[mid:mid] = records(40, seed + 1)
        fresh = range(sum(map(len, new[:mid])) - 4096, sum(map(len, new[:mid + 40])) + 4096)
    elif how == "delete":
        del new[mid:mid + 50]
    new_data = b"".join(new)
    new_oid, _ = write_bytes(odb, new_data, chunker=SMALL, base=old_oid)
    assert read_blob(odb, new_oid) == new_data
    old_set = {c for c, _ in old_chunks}
    checked = good = pos = 0
    for c, n in iter_chunk_ids(odb, new_oid):
        pos += n
        if c in old_set:
            continue
        base = odb.delta_hints.get(c)
        assert base in old_set           # every new chunk is offered an old chunk
        if pos - n in fresh or pos in fresh:
            continue
        data = odb.get(c)[1]

        def shared(old: bytes) -> int:
            return sum(data[k:k + 48] in old for k in range(0, n - 48, 61))
        # aligned: no old chunk shares clearly more of the new chunk's bytes
        best = max(shared(odb.get(o)[1]) for o in old_set)
        checked += 1
        good += shared(odb.get(base)[1]) >= best - 1
    assert checked and good >= 0.95 * checked
    assert old_data  # the base blob is untouched


def test_missing_base_blob_falls_back_to_no_delta():
    odb = MemoryObjectDatabase()
    oid, _ = write_bytes(odb, b"abc" * 1000, chunker=SMALL, base=b"\x01" * 32)
    assert read_blob(odb, oid) == b"abc" * 1000
    assert odb.delta_hints == {}


class OrderCheckingODB(MemoryObjectDatabase):
    """The in-memory store, failing a put of a node that names an unstored chunk."""

    def put(self, type_code, data, *, delta_base=None, oid=None):
        if type_code in (ObjType.BLOB, ObjType.BLOBNODE):
            root = type_code == ObjType.BLOB
            _, height, entries = decode_node(bytes(data), root=root)
            assert all(self.has(oid) for oid, _ in entries), "node put before its children"
        return super().put(type_code, data, delta_base=delta_base, oid=oid)


def test_children_are_stored_before_the_nodes_that_name_them():
    odb = OrderCheckingODB()
    recs = records(30_000, 3)
    old, _ = write_bytes(odb, b"".join(recs), chunker=SMALL)
    new = edited(recs, random.Random(4), 0.05)
    oid, _ = write_bytes(odb, b"".join(new), chunker=SMALL, base=old)
    assert read_blob(odb, oid) == b"".join(new)


def _tweak(b: bytes) -> bytes:
    return b[:500] + bytes([b[500] ^ 1]) + b[501:]


@settings(max_examples=20, deadline=None)
@given(st.integers(1, 40), st.integers(0, 3), st.integers(0, 5000), st.integers(0, 3))
def test_chooser_aligns_around_insertions_and_deletions(at, edits, inserted, deleted):
    """Synthetic chunk lists: unchanged chunks, then `edits` edited ones after an
    insertion of `inserted` new bytes and a deletion of `deleted` old chunks."""
    rng = random.Random(at * 7 + edits)
    odb = MemoryObjectDatabase()
    old = [rng.randbytes(rng.randint(800, 1600)) for _ in range(50)]
    ids = [odb.put(ObjType.CHUNK, c) for c in old]
    chooser = DeltaBaseChooser(odb, [(i, len(c)) for i, c in zip(ids, old)])
    new = old[:at] + ([rng.randbytes(inserted)] if inserted else [])
    keep = at + deleted
    expect = {}
    for j in range(keep, min(keep + edits, 50)):
        expect[len(new)] = ids[j]
        new.append(_tweak(old[j]))
    new += old[keep + edits:]
    pos = 0
    for c in new:
        chooser.add(odb.hasher.oid(ObjType.CHUNK, c), c, pos)
        pos += len(c)
    chooser.finish(pos)
    for k, want in expect.items():
        got = odb.delta_hints[odb.hasher.oid(ObjType.CHUNK, new[k])]
        assert got == want, f"chunk {k} paired with old {ids.index(got)}, not {ids.index(want)}"


def test_versions_through_the_real_store_are_deltas_and_read_back_exactly(tmp_path):
    """Four versions of a JSONL file, each written with base= the previous one
    into the encrypted packed store, then read back by a fresh store instance."""
    from ldv.plumbing.blobs import open_blob
    from ldv.plumbing.chunking import Chunker
    from ldv.plumbing.delta import Encoding

    from tests.plumbing.store_builders import make_store
    chunker = Chunker(11, avg_size=16 << 10, min_size=4 << 10, max_size=64 << 10)
    store = make_store(tmp_path, pack_size=4 << 20)
    rng = random.Random(5)
    recs = records(12_000, 5)
    versions, base, deltas, fresh_chunks = [], None, 0, 0
    for v in range(4):
        data = b"".join(recs)
        known = set(store.iter_ids())
        oid, _ = write_bytes(store, data, chunker=chunker, base=base)
        store.flush()
        if base is not None:
            new = [c for c, _ in iter_chunk_ids(store, oid) if c not in known]
            fresh_chunks += len(new)
            deltas += sum(store.locate(c)[1].enc == Encoding.DELTA for c in new)
        versions.append((oid, data))
        base, recs = oid, edited(recs, rng, 0.01)
    store.close()
    assert fresh_chunks > 50 and deltas >= 0.9 * fresh_chunks, (fresh_chunks, deltas)
    reopened = make_store(tmp_path)
    for oid, data in versions:
        assert open_blob(reopened, oid).read() == data
    reopened.close()
