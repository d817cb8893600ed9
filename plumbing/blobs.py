"""Blobs: a file's bytes as content-defined chunks under a tree of chunk lists.

A BLOB object is the root: the file size, the tree height and a list of entries
(id, byte count).  At height 0 the entries are CHUNKs; above, they are BLOBNODEs
(same layout, no size) whose byte count is the size of the subtree.  Nodes are cut
where an entry's id says so (prolly.py), so a one-chunk edit writes O(log n) new
nodes, and a reader seeks in O(log n) by subtracting subtree sizes, fetching (and
decrypting) only the nodes and chunks it touches.

Writing streams: one chunk is in memory at a time, whatever the file size.  With
``base`` (the same path's blob in the first parent), each new chunk is offered to
the store as a delta against the old chunk that covers the same region
(delta_base.py); the store decides whether the delta pays.
"""
from __future__ import annotations

import bisect
import io
import struct
from collections import OrderedDict, deque
from typing import BinaryIO, Iterable, Iterator

from .chunking import Chunker
from .delta_base import DeltaBaseChooser
from .errors import CorruptObject, ObjectNotFound
from .objects import Decoder, Encoder, read_object
from .odb import ObjectDatabase, ObjType
from .prolly import TreeBuilder, is_boundary_hash

_ENTRY = struct.Struct("<32sQ")
ENTRY_SIZE = _ENTRY.size  # 40


# -- serialization ----------------------------------------------------------

def encode_node(height: int, entries: list[tuple[bytes, int]],
                size: int | None = None) -> bytes:
    """A BLOB root (``size`` given) or a BLOBNODE (``size`` None)."""
    e = Encoder()
    if size is not None:
        e.u(size)
    e.u(height)
    e.buf += b"".join(_ENTRY.pack(oid, n) for oid, n in entries)
    return e.done()


def decode_node(data, *, root: bool) -> tuple[int | None, int, list[tuple[bytes, int]]]:
    """Return (size or None, height, entries) of a BLOB (root) or BLOBNODE."""
    d = Decoder(data, "blob")
    size = d.u() if root else None
    height = d.u()
    body = d.data[d.pos:]
    if len(body) % ENTRY_SIZE:
        raise CorruptObject("blob node has a partial entry")
    entries = list(_ENTRY.iter_unpack(body))
    if any(n == 0 for _, n in entries) or (not root and not entries):
        raise CorruptObject("blob node has an empty entry")
    if root and size != sum(n for _, n in entries):
        raise CorruptObject("blob size does not match its chunks")
    if height > 64 or (root and height and not entries):
        raise CorruptObject("blob tree has an impossible height")
    return size, height, entries


# -- writing ----------------------------------------------------------------

class BlobWriter:
    """Builds one blob from chunks given in file order."""

    def __init__(self, odb: ObjectDatabase, *, base: bytes | None = None):
        self.odb = odb
        self.size = 0
        self._tree: TreeBuilder = TreeBuilder(self._boundary, self._emit)
        self._chooser = None
        self._held: deque[tuple[int, bytes, int]] = deque()   # (offset, id, length)
        if base is not None:
            try:
                self._chooser = DeltaBaseChooser(odb, list(iter_chunk_ids(odb, base)))
            except ObjectNotFound:
                self._chooser = None   # e.g. a partial clone without the old data

    @staticmethod
    def _boundary(level: int, entry: tuple[bytes, int]) -> bool:
        return is_boundary_hash(entry[0])

    def _emit(self, level: int, entries: list) -> tuple[bytes, int]:
        oid = self.odb.put(ObjType.BLOBNODE, encode_node(level, entries))
        return oid, sum(n for _, n in entries)

    def write_chunk(self, data) -> bytes:
        """Store one chunk (bytes-like) and append it to the blob."""
        n = len(data)
        if self._chooser is None:
            oid = self.odb.put(ObjType.CHUNK, data)
        else:
            oid = self.odb.hasher.oid(ObjType.CHUNK, data)
            self._chooser.add(oid, data, self.size)
            self._held.append((self.size, oid, n))
            self.size += n
            self._release(self._chooser.stored_until())
            return oid
        self.add_chunk_id(oid, n)
        return oid

    def _release(self, until: int | None) -> None:
        # chunks waiting for their delta base are not stored yet; nodes that list
        # them wait too, so every object is put after the objects it names
        held = self._held
        while held and (until is None or held[0][0] < until):
            _, oid, n = held.popleft()
            self._tree.add((oid, n))

    def add_chunk_id(self, oid: bytes, length: int) -> None:
        """Append an already stored chunk."""
        if length > 0:
            if self._held:          # keep file order behind chunks still waiting
                self._held.append((self.size, oid, length))
            else:
                self._tree.add((oid, length))
            self.size += length

    def close(self) -> tuple[bytes, int]:
        """Store waiting chunks and the root; return (blob id, size)."""
        if self._chooser is not None:
            self._chooser.finish(self.size)
            self._release(None)
        height, entries = self._tree.finish()
        root = encode_node(height, entries, size=self.size)
        return self.odb.put(ObjType.BLOB, root), self.size


def write_blob(odb: ObjectDatabase, stream: BinaryIO, *, chunker: Chunker,
               base: bytes | None = None) -> tuple[bytes, int]:
    """Chunk ``stream`` to its end into ``odb``; return (blob id, size)."""
    w = BlobWriter(odb, base=base)
    for data in chunker.chunks(stream):
        w.write_chunk(data)
    return w.close()


def write_bytes(odb: ObjectDatabase, data, *, chunker: Chunker,
                base: bytes | None = None) -> tuple[bytes, int]:
    """Store an in-memory buffer as a blob; return (blob id, size)."""
    w = BlobWriter(odb, base=base)
    for piece in chunker.chunks_of(data):
        w.write_chunk(piece)
    return w.close()


def write_chunk_list(odb: ObjectDatabase, chunks: Iterable[tuple[bytes, int]]) -> tuple[bytes, int]:
    """Build a blob from ids of chunks already stored (merges, synthetic tests)."""
    w = BlobWriter(odb)
    for oid, n in chunks:
        w.add_chunk_id(oid, n)
    return w.close()


# -- reading ----------------------------------------------------------------

def _read_root(odb: ObjectDatabase, oid: bytes) -> tuple[int, int, list]:
    _, data = read_object(odb, oid, ObjType.BLOB)
    try:
        return decode_node(data, root=True)
    except CorruptObject as exc:
        raise CorruptObject(f"blob {oid.hex()}: {exc.message}", hint="run `ldv fsck`") from None


def _read_inner(odb: ObjectDatabase, oid: bytes, height: int) -> list:
    _, data = read_object(odb, oid, ObjType.BLOBNODE)
    try:
        _, h, entries = decode_node(data, root=False)
    except CorruptObject as exc:
        raise CorruptObject(f"blob node {oid.hex()}: {exc.message}",
                            hint="run `ldv fsck`") from None
    if h != height:
        raise CorruptObject(f"blob node {oid.hex()} is at the wrong height",
                            hint="run `ldv fsck`")
    return entries


def blob_size(odb: ObjectDatabase, blob_oid: bytes) -> int:
    return _read_root(odb, blob_oid)[0]


def iter_chunk_ids(odb: ObjectDatabase, blob_oid: bytes) -> Iterator[tuple[bytes, int]]:
    """Every (chunk id, length) of the blob in file order."""
    _, height, entries = _read_root(odb, blob_oid)
    yield from _iter_entries(odb, height, entries)


def _iter_entries(odb, height, entries):
    if height == 0:
        yield from entries
        return
    for oid, n in entries:
        children = _read_inner(odb, oid, height - 1)
        if sum(c for _, c in children) != n:
            raise CorruptObject(f"blob node {oid.hex()} does not match its size",
                                hint="run `ldv fsck`")
        yield from _iter_entries(odb, height - 1, children)


def iter_node_ids(odb: ObjectDatabase, blob_oid: bytes) -> Iterator[bytes]:
    """Every BLOBNODE id under the blob (for push, gc and fsck)."""
    _, height, entries = _read_root(odb, blob_oid)
    stack = [(height, entries)]
    while stack:
        h, ents = stack.pop()
        if h == 0:
            continue
        for oid, _ in ents:
            yield oid
            stack.append((h - 1, _read_inner(odb, oid, h - 1)))


class _Node:
    """A decoded node with prefix sums for bisecting by offset."""

    __slots__ = ("entries", "ends")

    def __init__(self, entries):
        self.entries = entries
        ends, pos = [], 0
        for _, n in entries:
            pos += n
            ends.append(pos)
        self.ends = ends


class BlobReader(io.RawIOBase):
    """A seekable, read-only file over a blob; touches only the chunks it reads."""

    _CACHE = 64   # decoded nodes kept: one root-to-leaf path and its neighbours

    def __init__(self, odb: ObjectDatabase, blob_oid: bytes):
        super().__init__()
        self.odb = odb
        self.oid = blob_oid
        self.size, self.height, entries = _read_root(odb, blob_oid)
        self._root = _Node(entries)
        self._nodes: OrderedDict[bytes, _Node] = OrderedDict()
        self._pos = 0
        self._chunk: tuple[int, bytes] | None = None   # (start offset, data)

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self._pos

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        base = {io.SEEK_SET: 0, io.SEEK_CUR: self._pos, io.SEEK_END: self.size}[whence]
        if base + offset < 0:
            raise ValueError("negative seek position")
        self._pos = base + offset
        return self._pos

    def readinto(self, buf) -> int:
        mv = memoryview(buf).cast("B")
        done = 0
        while done < len(mv) and self._pos < self.size:
            start, data = self._chunk_at(self._pos)
            off = self._pos - start
            n = min(len(data) - off, len(mv) - done)
            mv[done:done + n] = data[off:off + n]
            done += n
            self._pos += n
        return done

    def readall(self) -> bytes:
        out = bytearray()
        while self._pos < self.size:
            start, data = self._chunk_at(self._pos)
            out += data[self._pos - start:]
            self._pos = start + len(data)
        return bytes(out)

    def _chunk_at(self, pos: int) -> tuple[int, bytes]:
        c = self._chunk
        if c is not None and c[0] <= pos < c[0] + len(c[1]):
            return c
        oid, start, length = self._locate(pos)
        _, data = read_object(self.odb, oid, ObjType.CHUNK)
        if len(data) != length:
            raise CorruptObject(f"chunk {oid.hex()} has {len(data)} bytes, "
                                f"its blob says {length}", hint="run `ldv fsck`")
        self._chunk = (start, data)
        return self._chunk

    def chunk_spans(self, start: int, end: int) -> list[tuple[bytes, int, int]]:
        """(chunk id, start offset, length) of every chunk overlapping
        [start, end), in file order; reads nodes only, no chunk."""
        spans, pos = [], max(start, 0)
        while pos < min(end, self.size):
            oid, s, n = self._locate(pos)
            spans.append((oid, s, n))
            pos = s + n
        return spans

    def _locate(self, pos: int) -> tuple[bytes, int, int]:
        """Descend from the root by subtree sizes: O(height) node lookups."""
        node, start, height = self._root, 0, self.height
        while True:
            i = bisect.bisect_right(node.ends, pos - start)
            oid, n = node.entries[i]
            child_start = start + (node.ends[i - 1] if i else 0)
            if height == 0:
                return oid, child_start, n
            node, start, height = self._node(oid, height - 1, n), child_start, height - 1

    def _node(self, oid: bytes, height: int, size: int) -> _Node:
        node = self._nodes.get(oid)
        if node is None:
            node = _Node(_read_inner(self.odb, oid, height))
            if not node.ends or node.ends[-1] != size:
                raise CorruptObject(f"blob node {oid.hex()} does not match its size",
                                    hint="run `ldv fsck`")
            self._nodes[oid] = node
            if len(self._nodes) > self._CACHE:
                self._nodes.popitem(last=False)
        else:
            self._nodes.move_to_end(oid)
        return node


def open_blob(odb: ObjectDatabase, blob_oid: bytes) -> BlobReader:
    return BlobReader(odb, blob_oid)


def read_blob(odb: ObjectDatabase, blob_oid: bytes) -> bytes:
    """The whole file in memory; for small files and tests."""
    return open_blob(odb, blob_oid).readall()
