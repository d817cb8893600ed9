"""Concurrent readers of committed files: ldv:// range reads (porcelain/revfs.py)
and BlobReaders on the store itself, from several threads at once, byte-exact."""
from __future__ import annotations

import random
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest

import ldv
from ldv.plumbing.blobs import open_blob
from ldv.plumbing.keys import MasterKey
from ldv.porcelain.revfs import RevisionFileSystem
from ldv.porcelain.worktree import Identity

KEY = MasterKey.from_hex("35" * 32)
ME = Identity("Readers", "readers@example.org")
SIZE = 3 << 20
THREADS, READS = 4, 30


def _versions() -> tuple[bytes, bytes]:
    """v1: text-like (compresses) and random bytes; v2: v1 with small edits,
    so its chunks are stored as deltas against v1's."""
    rng = random.Random(6)
    words = [bytes(rng.choice(b"abcdefghij ") for _ in range(rng.randint(2, 9)))
             for _ in range(500)]
    text = b" ".join(rng.choice(words) for _ in range(SIZE // 12))[:SIZE // 2]
    v1 = text + rng.randbytes(SIZE - len(text))
    v2 = bytearray(v1)
    for _ in range(20):
        at = rng.randrange(SIZE - 64)
        v2[at:at + 16] = rng.randbytes(16)
    return v1, bytes(v2)


@pytest.fixture(scope="module")
def repo(tmp_path_factory):
    root = tmp_path_factory.mktemp("readers")
    r, _ = ldv.Repository.init(root / "ds", key=KEY)
    v1, v2 = _versions()
    (r.root / "blob.bin").write_bytes(v1)
    r.add(["blob.bin"])
    r.commit("one", author=ME, now=1_700_000_000)
    (r.root / "blob.bin").write_bytes(v2)
    r.commit("two", all=True, author=ME, now=1_700_000_100)
    yield r, {"HEAD~1": v1, "HEAD": v2}
    r.close()


def _ranges(seed: int) -> list[tuple[str, int, int]]:
    rng = random.Random(seed)
    out = []
    for _ in range(READS):
        start = rng.randrange(SIZE)
        out.append((rng.choice(("HEAD", "HEAD~1")), start,
                    min(SIZE, start + rng.choice((1, 4096, 300_000, 1 << 20)))))
    return out


def _run(worker) -> int:
    """Run ``worker(seed)`` on THREADS threads at once; total reads checked."""
    barrier = threading.Barrier(THREADS)

    def go(seed):
        barrier.wait(timeout=30)   # start together, so the reads overlap
        return worker(seed)

    with ThreadPoolExecutor(THREADS) as ex:
        return sum(ex.map(go, range(THREADS), timeout=120))


def test_the_store_has_several_chunks_and_deltas(repo):
    r, _ = repo
    fs = RevisionFileSystem(r.plumbing)
    assert len(fs.open_blob("ldv://HEAD/blob.bin").chunk_spans(0, SIZE)) >= 6
    odb = r.plumbing.odb
    spans = open_blob(odb, bytes.fromhex(fs.info("ldv://HEAD/blob.bin")["oid"])) \
        .chunk_spans(0, SIZE)
    assert any(odb.delta_depth(oid) > 0 for oid, _s, _n in spans)


@pytest.mark.parametrize("cache_bytes", [0, 1 << 20, 32 << 20])
def test_ldv_range_reads_from_several_threads(repo, cache_bytes):
    r, data = repo
    fs = RevisionFileSystem(r.plumbing, cache_bytes=cache_bytes)
    shared = {rev: fs.open(f"ldv://{rev}/blob.bin") for rev in data}

    def worker(seed):
        for rev, a, b in _ranges(seed):
            # one handle shared by all threads (as DuckDB does), and a fresh one
            assert shared[rev]._fetch_range(a, b) == data[rev][a:b]
            assert fs.cat_file(f"ldv://{rev}/blob.bin", a, b) == data[rev][a:b]
        return READS

    assert _run(worker) == THREADS * READS
    assert fs.stats.chunks > 0


def test_sequential_reads_decode_ahead(repo):
    r, data = repo
    fs = RevisionFileSystem(r.plumbing)
    f = fs.open("ldv://HEAD/blob.bin")
    step = 256 << 10
    for a in range(0, SIZE, step):
        assert f._fetch_range(a, a + step) == data["HEAD"][a:a + step]
    fs.odb.close()
    n_chunks = len(fs.open_blob("ldv://HEAD/blob.bin").chunk_spans(0, SIZE))
    # each chunk decoded once (by a reader or ahead of it), the rest from cache
    assert fs.stats.chunks == n_chunks and fs.stats.cache_hits > 0


def test_blob_readers_on_the_store_from_several_threads(repo):
    r, data = repo
    fs = RevisionFileSystem(r.plumbing)
    oids = {rev: bytes.fromhex(fs.info(f"ldv://{rev}/blob.bin")["oid"]) for rev in data}
    odb = r.plumbing.odb

    def worker(seed):
        readers = {rev: open_blob(odb, oid) for rev, oid in oids.items()}
        for rev, a, b in _ranges(100 + seed):
            readers[rev].seek(a)
            assert readers[rev].read(b - a) == data[rev][a:b]
        return READS

    assert _run(worker) == THREADS * READS
