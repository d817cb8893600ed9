"""Blobs: streaming write/read, seeking, chunk-list trees, delta base choice."""
from __future__ import annotations

import hashlib
import io
import random

import pytest
from hypothesis import given, settings, strategies as st

from ldv.plumbing.blobs import (BlobReader, blob_size, decode_node, iter_chunk_ids,
                                iter_node_ids, open_blob, read_blob, write_blob, write_bytes,
                                write_chunk_list)
from ldv.plumbing.chunking import Chunker
from ldv.plumbing.errors import CorruptObject, WrongObjectType
from ldv.plumbing.odb import MemoryObjectDatabase, ObjType

SMALL = Chunker(7, avg_size=1024, min_size=256, max_size=4096)


def records(n: int, seed: int = 0) -> list[bytes]:
    rng = random.Random(seed)
    return [b'{"id": %d, "text": "%s", "score": %d}\n'
            % (i, bytes(rng.choices(b"abcdefgh ", k=rng.randint(20, 120))), rng.randint(0, 999))
            for i in range(n)]


@settings(max_examples=40, deadline=None)
@given(st.binary(max_size=60_000), st.lists(st.integers(0, 70_000), max_size=8))
def test_write_read_seek_round_trip(data, seeks):
    odb = MemoryObjectDatabase()
    oid, size = write_blob(odb, io.BytesIO(data), chunker=SMALL)
    assert size == len(data) == blob_size(odb, oid)
    assert write_bytes(odb, data, chunker=SMALL) == (oid, size)
    assert read_blob(odb, oid) == data
    r = open_blob(odb, oid)
    for pos in seeks:
        r.seek(pos)
        assert r.read(777) == data[pos:pos + 777]
        assert r.tell() == (min(pos + 777, len(data)) if pos < len(data) else pos)
    assert sum(n for _, n in iter_chunk_ids(odb, oid)) == len(data)


def test_empty_file():
    odb = MemoryObjectDatabase()
    oid, size = write_bytes(odb, b"", chunker=SMALL)
    assert size == 0 and read_blob(odb, oid) == b"" and list(iter_chunk_ids(odb, oid)) == []
    assert open_blob(odb, oid).read(10) == b""


def test_reader_is_a_buffered_file():
    odb = MemoryObjectDatabase()
    data = b"".join(records(3000))
    oid, _ = write_bytes(odb, data, chunker=SMALL)
    with io.BufferedReader(open_blob(odb, oid)) as f:
        assert f.readline() == data.split(b"\n")[0] + b"\n"
        f.seek(-10, io.SEEK_END)
        assert f.read() == data[-10:]


def test_files_over_4_gib_use_64_bit_sizes():
    odb = MemoryObjectDatabase()
    piece = bytes(range(256)) * 4096          # 1 MiB
    chunk = odb.put(ObjType.CHUNK, piece)
    tail = odb.put(ObjType.CHUNK, b"the end")
    n = 5 * 1024 + 3                          # just over 5 GiB of chunks
    oid, size = write_chunk_list(odb, [(chunk, len(piece))] * n + [(tail, 7)])
    assert size == n * len(piece) + 7 > 1 << 32
    assert blob_size(odb, oid) == size
    r = open_blob(odb, oid)
    r.seek(size - 9)
    assert r.read() == piece[-2:] + b"the end"
    r.seek((1 << 32) + 5)
    assert r.read(3) == piece[5:8]


def chunk_ids(i: int) -> tuple[bytes, int]:
    """A synthetic (id, length): ids look like the keyed hashes real chunks get."""
    return hashlib.blake2b(i.to_bytes(8, "little"), digest_size=32).digest(), 1000 + i % 977


def test_one_chunk_edit_of_100k_chunks_writes_log_n_nodes():
    n = 100_000
    odb = MemoryObjectDatabase()
    old = [chunk_ids(i) for i in range(n)]
    oid, size = write_chunk_list(odb, old)
    _, height, _ = decode_node(odb.get(oid)[1], root=True)
    assert height >= 2
    nodes = sum(1 for _ in iter_node_ids(odb, oid))
    assert n // 200 < nodes < n // 16          # fan-out near 64, not 1
    before = set(odb.iter_ids())
    new = list(old)
    new[61_234] = (b"\xee" * 32, 5000)           # one chunk replaced by a larger one
    oid2, size2 = write_chunk_list(odb, new)
    written = set(odb.iter_ids()) - before
    assert size2 == size + 5000 - old[61_234][1]
    assert oid2 in written
    # one node per level, plus a neighbour where the edit moved a boundary
    assert 1 <= len(written) - 1 <= 2 * height
    assert all(odb.get(w)[0] == ObjType.BLOBNODE for w in written - {oid2})
    assert list(iter_chunk_ids(odb, oid2)) == new


def test_seek_reads_only_log_n_nodes():
    odb = MemoryObjectDatabase()
    piece = odb.put(ObjType.CHUNK, b"x" * 1000)
    oid, _ = write_chunk_list(odb, [(piece, 1000)] * 100_000)
    r = open_blob(odb, oid)
    r.seek(73_456_789)
    assert r.read(5) == b"xxxxx"
    assert len(r._nodes) <= r.height


def test_corrupt_and_wrong_typed_blobs():
    odb = MemoryObjectDatabase()
    c = odb.put(ObjType.CHUNK, b"hello")
    with pytest.raises(WrongObjectType):
        blob_size(odb, c)
    from ldv.plumbing.blobs import encode_node
    lying = odb.put(ObjType.BLOB, encode_node(0, [(c, 5)], size=6))
    with pytest.raises(CorruptObject):
        blob_size(odb, lying)
    short = odb.put(ObjType.BLOB, encode_node(0, [(c, 4)], size=4))
    with pytest.raises(CorruptObject):
        read_blob(odb, short)
    partial = odb.put(ObjType.BLOB, encode_node(0, [(c, 5)], size=5)[:-1])
    with pytest.raises(CorruptObject):
        BlobReader(odb, partial)


STREAM_SCRIPT = r"""
import hashlib, os, resource, sys
from ldv.plumbing.blobs import open_blob, write_blob
from ldv.plumbing.chunking import Chunker
from ldv.plumbing.odb import MemoryObjectDatabase

class Stream:
    # `total` bytes of a 16 MiB random block, repeated: non-sparse, never in memory
    # whole; the repeats dedupe, so the in-memory store stays small.
    def __init__(self, total):
        self.block = memoryview(os.urandom(16 << 20))
        self.left, self.pos = total, 0
    def readinto(self, buf):
        n = min(len(buf), self.left, len(self.block) - self.pos)
        buf[:n] = self.block[self.pos:self.pos + n]
        self.pos = (self.pos + n) % len(self.block)
        self.left -= n
        return n

total = int(sys.argv[1])
src = Stream(total)
h_in = hashlib.blake2b(src.block, digest_size=16).hexdigest()
odb = MemoryObjectDatabase()
oid, size = write_blob(odb, src, chunker=Chunker(5))
r = open_blob(odb, oid)
buf, got, ok = bytearray(1 << 20), 0, True
while True:
    n = r.readinto(buf)
    if not n:
        break
    ok &= buf[:n] == src.block[got % (16 << 20):got % (16 << 20) + n]
    got += n
# VmHWM, not ru_maxrss: Linux carries ru_maxrss across exec, so it would report
# the forking pytest worker's peak instead of this process's.
hwm = next(int(l.split()[1]) for l in open("/proc/self/status") if l.startswith("VmHWM:"))
print(size, got, ok, hwm * 1024)
"""


def test_3_gib_streams_in_bounded_memory(tmp_path):
    import subprocess
    import sys
    total = 3 << 30
    out = subprocess.run([sys.executable, "-c", STREAM_SCRIPT, str(total)],
                         capture_output=True, text=True, timeout=280, check=True).stdout
    size, got, ok, peak = out.split()
    assert int(size) == int(got) == total and ok == "True"
    assert int(peak) < 256 << 20


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.binary(min_size=32, max_size=32), st.integers(1, 1 << 40)),
                max_size=20), st.integers(0, 5), st.booleans(), st.data())
def test_blob_nodes_round_trip_and_reject_damage(entries, height, root, data):
    from ldv.plumbing.blobs import encode_node
    if not root and not entries:
        entries = [(bytes(32), 1)]
    size = sum(n for _, n in entries) if root else None
    if root and height and not entries:
        height = 0
    raw = encode_node(height, entries, size=size)
    assert decode_node(raw, root=root) == (size, height, entries)
    flipped = bytearray(raw)
    i = data.draw(st.integers(0, len(raw) - 1))
    flipped[i] ^= data.draw(st.integers(1, 255))
    try:
        got = decode_node(bytes(flipped), root=root)
    except CorruptObject:
        return
    assert encode_node(got[1], got[2], size=got[0]) == bytes(flipped)
