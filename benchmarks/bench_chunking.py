"""Chunking and blob writing throughput, and the cost of a 1% scattered edit.

Run:  python -m pytest benchmarks/bench_chunking.py -q -p no:cacheprovider
      (add --benchmark-json=out.json to keep the figures; LDV_BENCH_MB sizes the data)

What each measures (MB/s = 10^6 bytes per second, one core):
  chunk_hash    FastCDC over a stream + the keyed BLAKE3 id of every chunk
  write_blob    write_blob() into MemoryObjectDatabase (chunk, hash, tree of
                chunk lists; the in-memory store copies and re-hashes each chunk)
  rewrite_blob  write_blob() of a 1%-edited version with base= (delta base choice)
  edit_cost     new stored bytes after a 1% scattered record edit, each new chunk
                encoded by the store's codec (plumbing/delta.py) against the base
                blobs.py chose, per chunk size: the measurement behind chunking.py's
                parameters
  edit_cost_real_store  the same edit, each version written by its own process
                through the real PackedObjectDatabase: added pack bytes as % of v1's
"""
from __future__ import annotations

import io
import json
import os
import random

import pytest
import zstandard

from ldv.plumbing.blobs import iter_chunk_ids, write_blob, write_bytes
from ldv.plumbing.chunking import AVG_SIZE, MAX_SIZE, MIN_SIZE, Chunker
from ldv.plumbing.odb import MemoryObjectDatabase, ObjType

MB = int(os.environ.get("LDV_BENCH_MB", "64"))
SEED = 0x5EED


def make_records(n: int, seed: int) -> tuple[list[str], list[str]]:
    """JSONL records of Zipf-distributed words, like an instruction-tuning set."""
    rng = random.Random(seed)
    vocab = ["".join(rng.choices("abcdefghijklmnopqrstuvwxyz", k=rng.randint(2, 10)))
             for _ in range(20000)]
    weights = [1 / (i + 1) for i in range(len(vocab))]
    recs = []
    for i in range(n):
        words = rng.choices(vocab, weights=weights, k=rng.randint(20, 150))
        k = len(words) // 3
        recs.append(json.dumps({"id": i, "prompt": " ".join(words[:k]),
                                "response": " ".join(words[k:]), "score": rng.random()}) + "\n")
    return recs, vocab


def edit_records(recs: list[str], vocab: list[str], frac: float, seed: int) -> list[str]:
    """Change one word and the score of ``frac`` of the records, at random places."""
    rng = random.Random(seed)
    out = list(recs)
    for i in rng.sample(range(len(out)), int(len(out) * frac)):
        d = json.loads(out[i])
        words = d["response"].split(" ")
        words[rng.randrange(len(words))] = rng.choice(vocab)
        d["response"], d["score"] = " ".join(words), rng.random()
        out[i] = json.dumps(d) + "\n"
    return out


@pytest.fixture(scope="module")
def corpus():
    recs, vocab = make_records(MB * 1024 * 1024 // 600, 1)
    old = "".join(recs).encode()
    new = "".join(edit_records(recs, vocab, 0.01, 2)).encode()
    return {"text": old, "text_edited": new, "random": os.urandom(len(old))}


def _mbps(benchmark, nbytes: int) -> None:
    benchmark.extra_info["MB"] = round(nbytes / 1e6, 1)
    benchmark.extra_info["MB/s"] = round(nbytes / benchmark.stats.stats.min / 1e6, 1)


@pytest.mark.parametrize("kind", ["text", "random"])
def test_chunk_hash(benchmark, corpus, kind):
    data, chunker, hasher = corpus[kind], Chunker(SEED), MemoryObjectDatabase().hasher

    def run():
        return sum(len(hasher.oid(ObjType.CHUNK, c)) for c in chunker.chunks(io.BytesIO(data)))
    benchmark.pedantic(run, rounds=3, iterations=1)
    _mbps(benchmark, len(data))


@pytest.mark.parametrize("kind", ["text", "random"])
def test_write_blob(benchmark, corpus, kind):
    data, chunker = corpus[kind], Chunker(SEED)

    def run():
        return write_blob(MemoryObjectDatabase(), io.BytesIO(data), chunker=chunker)
    oid, size = benchmark.pedantic(run, rounds=3, iterations=1)
    assert size == len(data)
    _mbps(benchmark, len(data))


def test_rewrite_blob_with_base(benchmark, corpus):
    chunker = Chunker(SEED)
    odb = MemoryObjectDatabase()
    base, _ = write_bytes(odb, corpus["text"], chunker=chunker)
    new = corpus["text_edited"]

    def run():
        return write_blob(odb, io.BytesIO(new), chunker=chunker, base=base)
    benchmark.pedantic(run, rounds=1, iterations=1)
    _mbps(benchmark, len(new))


PER_OBJECT = 60   # approximate pack + index bytes per stored object (GCM tag, header, index)


@pytest.mark.parametrize("avg", [64 << 10, AVG_SIZE, 1 << 20])
def test_edit_cost(benchmark, corpus, avg):
    """New stored bytes for a 1% scattered edit, as % of the zstd-1 size of the file."""
    from ldv.plumbing.delta import Codec
    codec = Codec()
    if avg == AVG_SIZE:
        chunker = Chunker(SEED)
        assert (chunker.min_size, chunker.max_size) == (MIN_SIZE, MAX_SIZE)
    else:
        chunker = Chunker(SEED, avg_size=avg, min_size=avg // 4, max_size=avg * 4)
    odb = MemoryObjectDatabase()
    old, _ = write_bytes(odb, corpus["text"], chunker=chunker)
    before = set(odb.iter_ids())

    def run():
        write_bytes(odb, corpus["text_edited"], chunker=chunker, base=old)
    benchmark.pedantic(run, rounds=1, iterations=1)
    data = meta = 0
    for oid in set(odb.iter_ids()) - before:
        typ, payload = odb.get(oid)
        if typ == ObjType.CHUNK:
            base = odb.delta_hints.get(oid)
            data += len(codec.encode(payload, odb.get(base)[1] if base else None)[1])
        else:
            meta += len(codec.encode(payload)[1])
        data += PER_OBJECT
    compressed = len(zstandard.ZstdCompressor(level=1).compress(corpus["text"]))
    chunks = sum(1 for _ in iter_chunk_ids(odb, old))
    benchmark.extra_info.update(chunks=chunks, new_data_KiB=round(data / 1024),
                                new_meta_KiB=round(meta / 1024),
                                pct_of_compressed=round(100 * (data + meta) / compressed, 2))
    assert data + meta > 0


_VERSION_SCRIPT = r"""
import sys, time
from pathlib import Path
from ldv.plumbing.blobs import write_blob
from ldv.plumbing.chunking import Chunker
from ldv.plumbing.keys import MasterKey
from ldv.plumbing.repository import Repo
root, src, base = Path(sys.argv[1]), sys.argv[2], sys.argv[3]
master = MasterKey(bytes(range(32)))
repo = Repo.open(root, master) if base else Repo.init(root, master, kdf="fast")
t = time.perf_counter()
with open(src, "rb", buffering=0) as f:
    oid, size = write_blob(repo.odb, f, chunker=Chunker(repo.keyring.chunker_seed),
                           base=bytes.fromhex(base) if base else None)
repo.odb.flush()
print(oid.hex(), time.perf_counter() - t)
"""


def test_edit_cost_real_store(benchmark, corpus, tmp_path):
    """The issue's target: each version written by its own process through
    PackedObjectDatabase (chunk, hash, delta/zstd, encrypt, pack); new pack bytes
    of the 1%-edited version as % of the first version's stored bytes."""
    import subprocess
    import sys
    (tmp_path / "v1").write_bytes(corpus["text"])
    (tmp_path / "v2").write_bytes(corpus["text_edited"])
    repo = tmp_path / "repo"
    repo.mkdir()

    def stored() -> int:
        return sum(p.stat().st_size for p in (repo / ".ldv" / "objects").rglob("*") if p.is_file())

    def version(name: str, base: str) -> tuple[str, float]:
        out = subprocess.run([sys.executable, "-c", _VERSION_SCRIPT, str(repo),
                              str(tmp_path / name), base],
                             capture_output=True, text=True, check=True, timeout=600).stdout
        oid, seconds = out.split()
        return oid, float(seconds)

    v1, t1 = version("v1", "")
    first = stored()
    result = {}

    def run():
        result["v2"] = version("v2", v1)
    benchmark.pedantic(run, rounds=1, iterations=1)
    added = stored() - first
    benchmark.extra_info.update(
        v1_write_MBps=round(len(corpus["text"]) / t1 / 1e6, 1),
        v2_write_MBps=round(len(corpus["text_edited"]) / result["v2"][1] / 1e6, 1),
        v1_stored_MB=round(first / 1e6, 2), v2_added_KB=round(added / 1e3, 1),
        pct_of_v1_stored=round(100 * added / first, 2))
    assert 0 < added < first
