"""PackedObjectDatabase: the real ObjectDatabase (packs, encryption, deltas).

Glossary:
  writer   the pack being filled, one for data (chunks) and one for metadata
  index    pack_index.PackIndex, id -> where the object lives
  chain    a delta, its base, the base's base ... ending in a full object; its
           length is the depth, bounded by ``max_depth``
"""
from __future__ import annotations

import threading
from collections import OrderedDict, deque
from pathlib import Path
from typing import Callable, Iterable, Iterator, TypeVar

import blake3

from . import crypto
from .delta import Codec, Encoding
from .errors import (CorruptObject, CorruptPack, IntegrityError, MissingKey, MissingPack,
                     ObjectNotFound, RepositoryLocked)
from .ids import IdHasher
from .keys import Keyring
from .lock import Lock
from .odb import ObjType
from .pack import (KIND_DATA, KIND_META, PREAMBLE_LEN, PackEntry, PackWriter, PartsReader,
                   check_pack_bytes, entry_aad, pack_cipher, pack_path, read_header)
from .pack_index import PackIndex

PACK_SIZE = 16 << 20       # target pack size (DESIGN: 16-64 MiB)
MAX_DEPTH = 20             # longest delta chain (a delta decodes at GB/s; gc reverses chains)
CACHE_BYTES = 32 << 20     # plaintexts of recent delta bases
INLINE_BELOW = 32 << 10    # objects smaller than this are compressed inline
_FSCK_HINT = "run `ldv fsck`; fetch the pack again from a remote if you have one"
T = TypeVar("T")
R = TypeVar("R")


class BytesLRU:
    """Bytes by id, bounded in total size; safe for concurrent readers (an
    OrderedDict reordered by two threads at once can lose or repeat entries).
    Values larger than ``largest`` (default: a quarter of the bound) are not kept."""

    def __init__(self, max_bytes: int, largest: int | None = None):
        self.max = max_bytes
        self.largest = max_bytes // 4 if largest is None else largest
        self.size = 0
        self._d: OrderedDict[bytes, bytes] = OrderedDict()
        self._lock = threading.Lock()

    def __contains__(self, key: bytes) -> bool:
        return key in self._d

    def get(self, key: bytes) -> bytes | None:
        with self._lock:
            v = self._d.get(key)
            if v is not None:
                self._d.move_to_end(key)
            return v

    def put(self, key: bytes, value: bytes) -> None:
        if len(value) > self.largest:
            return
        with self._lock:
            if key in self._d:
                return
            self._d[key] = value
            self.size += len(value)
            while self.size > self.max:
                _k, v = self._d.popitem(last=False)
                self.size -= len(v)


class PackedObjectDatabase:
    """Objects in encrypted packs on a Backend, found through a PackIndex.

    Writes come from one thread; ``workers`` threads only compress (0: inline).
    Reads (get, get_many) may come from several threads at once while nobody
    writes: the index, cipher and plaintext caches change under ``_read_lock``;
    pack reads, decryption and decompression run outside it (they release the GIL).
    Several processes may write at once: packs are immutable and index updates
    merge under a lock.
    """

    def __init__(self, backend, keyring: Keyring, index_path: Path, lock_dir: Path, *,
                 level: int = 1, pack_size: int = PACK_SIZE, max_depth: int = MAX_DEPTH,
                 workers: int = 2):
        self.backend = backend
        self.keyring = keyring
        self.hasher = IdHasher(keyring.id_key)
        self._index_path = Path(index_path)
        self._index: PackIndex | None = None
        self.lock_dir = Path(lock_dir)
        self.codec = Codec(level)
        self.pack_size = pack_size
        self.max_depth = max_depth
        self.workers = workers
        self._pools = None      # (compress, upload) executors, made on first write
        self._queue: deque = deque()
        self._queued: set[bytes] = set()
        self._uploads: deque = deque()
        self._writers: dict[int, PackWriter] = {}
        self._pending: dict[bytes, tuple[PackWriter, PackEntry]] = {}
        self._ciphers: OrderedDict[str, object] = OrderedDict()
        self._cache = BytesLRU(CACHE_BYTES)
        self._read_lock = threading.RLock()

    @property
    def index(self) -> PackIndex:
        """Loaded on first use, so commands that never touch objects do not pay."""
        if self._index is None:
            with self._read_lock:     # two first readers must not load it twice
                if self._index is None:
                    index = PackIndex(self._index_path)
                    if index.upgraded:
                        _persist_upgrade(index, self.lock_dir)
                    self._index = index
        return self._index

    @index.setter
    def index(self, value: PackIndex) -> None:
        self._index = value

    # -- the ObjectDatabase protocol -------------------------------------------

    def has(self, oid: bytes) -> bool:
        if oid in self._pending or oid in self._queued:
            return True
        with self._read_lock:   # a reader's reload may be swapping the index's buffer
            return oid in self.index

    def put(self, type_code: ObjType, data, *, delta_base: bytes | None = None,
            oid: bytes | None = None) -> bytes:
        if oid is None:
            oid = self.hasher.oid(type_code, data)
        if self.has(oid):
            return oid
        base, depth = self._usable_base(type_code, delta_base)
        if not self.workers or (len(data) < INLINE_BELOW and not self._queue):
            # small objects: a thread hand-off costs more than compressing here
            enc, body = self.codec.encode(data, self._plain(base) if base else None)
            self._append(oid, type_code, enc, body, base, depth)
            return oid
        # compress on a worker (zstd releases the GIL); append in submission order
        # so that pack contents do not depend on thread timing.  The base travels
        # still encoded: decompressing and verifying it is the worker's job too.
        source = self._base_chain(base) if base else None
        job = self._executors()[0].submit(_encode, self.codec.level, self.hasher,
                                          bytes(data), source)
        self._queue.append((oid, type_code, job, base, depth))
        self._queued.add(oid)
        self._drain(keep=2 * self.workers)
        return oid

    def get(self, oid: bytes) -> tuple[ObjType, bytes]:
        cached = self._cache.get(oid)
        entry = self._locate(oid)
        if cached is not None:
            return ObjType(entry.type), cached
        plain = self._decode(oid, entry)
        if self.hasher.oid(entry.type, plain) != oid:
            raise CorruptObject(f"object {oid.hex()} does not match its id "
                                "(swapped or damaged)", hint=_FSCK_HINT)
        return ObjType(entry.type), plain

    def get_many(self, oids: Iterable[bytes], *, ahead: int = 8) -> Iterator[tuple[ObjType, bytes]]:
        """get() of each id in order, decoded up to ``ahead`` ids in advance on the
        worker threads (read_each)."""
        return self.read_each(((oid, None) for oid in oids), _pair, ahead=ahead)

    def read_each(self, items: Iterable[tuple[bytes, T]], then: Callable[[T, ObjType, bytes], R],
                  *, ahead: int = 8) -> Iterator[R]:
        """``then(tag, type, data)`` of each ``(id, tag)`` in ``items``, results in order.

        For reading a file's chunks start to end (checkout).  With workers, up to
        ``ahead`` objects are in flight and one worker thread does all of an
        object's work: index lookups, one ranged read per run of adjacent links
        of its delta chain (gc writes a chain's links side by side), decryption,
        decoding, the id check of the object asked for, and ``then`` -- which may
        write the data to a file (pwrite, like zstd, AES and blake3, releases the
        GIL).  This thread only hands out work, so it is never the bottleneck.
        Nothing is cached: a file's chunks do not share bases, and a large file
        would only evict the useful ones.  When the caller stops early or a read
        fails, running jobs finish before this returns (``then`` may hold a
        descriptor the caller is about to close)."""
        if not self.workers:
            for oid, tag in items:
                yield then(tag, *self.get(oid))
            return
        _keep_freed_memory()
        pool, jobs = self._executors()[0], deque()
        try:
            for oid, tag in items:
                if oid in self._queued:
                    self._drain(keep=0)      # appending stays on the writing thread
                jobs.append(pool.submit(self._read_then, oid, tag, then))
                if len(jobs) > ahead:
                    yield jobs.popleft().result()
            while jobs:
                yield jobs.popleft().result()
        finally:
            for job in jobs:
                job.cancel()
            for job in jobs:
                if not job.cancelled():
                    job.exception()          # wait; its error is not the one to raise

    def flush(self) -> None:
        self._drain(keep=0)
        for kind in list(self._writers):
            self._finish(kind)
        self._wait_uploads()
        if self._index is not None and self._index.dirty:   # never loaded: nothing new
            with Lock(self.lock_dir / "index", timeout=30, what="the pack index"):
                self.index.save()

    def iter_ids(self) -> Iterator[bytes]:
        self._drain(keep=0)
        yield from list(self._pending)
        yield from self.index.ids()

    # -- writing ---------------------------------------------------------------

    def _usable_base(self, type_code, base: bytes | None) -> tuple[bytes | None, int]:
        """The base and the new depth, or (None, 0) when a delta is not allowed."""
        if base is None or not self.has(base):
            return None, 0
        entry = self._locate(base)
        if entry.type != type_code or entry.depth + 1 > self.max_depth:
            return None, 0
        return base, entry.depth + 1

    def _drain(self, keep: int) -> None:
        """Append finished encodings, oldest first, until at most ``keep`` wait."""
        while self._queue and (len(self._queue) > keep or self._queue[0][2].done()):
            oid, type_code, job, base, depth = self._queue.popleft()
            enc, body = job.result()
            self._queued.discard(oid)
            if enc != Encoding.DELTA:
                base, depth = None, 0
            self._append(oid, type_code, enc, body, base, depth)

    def _append(self, oid, type_code, enc, body, base, depth) -> PackEntry:
        kind = KIND_DATA if ObjType(type_code).is_data else KIND_META
        writer = self._writers.get(kind)
        if writer is None:
            ring = self.keyring
            writer = self._writers[kind] = PackWriter(kind, ring.current_key_id,
                                                      ring.data_key)
        if enc != Encoding.DELTA:
            base, depth = None, 0
        entry = writer.add(oid, int(type_code), int(enc), body, base, depth)
        self._pending[oid] = (writer, entry)
        if writer.size >= self.pack_size:
            self._finish(kind)
        return entry

    def _finish(self, kind: int) -> None:
        """Seal the pack and hand it to the uploader; its objects stay readable
        from memory until the upload is done."""
        writer = self._writers.pop(kind, None)
        if writer is None or not writer.entries:
            return
        name, _stream = writer.finish()
        self._wait_uploads(keep=1)     # at most two packs in memory
        self._uploads.append((self._upload(name, writer), name, kind, writer))

    def _upload(self, name: str, writer: PackWriter):
        return self._executors()[1].submit(self.backend.put, pack_path(name),
                                           PartsReader(writer.parts))

    def _executors(self):
        """(compress pool, upload thread); imported and started only for writers."""
        if self._pools is None:
            from concurrent.futures import ThreadPoolExecutor
            self._pools = (ThreadPoolExecutor(max(self.workers, 1), "ldv-zstd"),
                           ThreadPoolExecutor(1, "ldv-pack-upload"))
        return self._pools

    def _wait_uploads(self, keep: int = 0) -> None:
        while len(self._uploads) > keep:
            job, name, kind, writer = self._uploads[0]
            try:
                if job is None:     # an earlier upload failed: try again, here
                    self.backend.put(pack_path(name), PartsReader(writer.parts))
                else:
                    job.result()
            except BaseException:
                # keep the pack (its objects stay readable) so that a flush after
                # freeing disk space succeeds
                self._uploads[0] = (None, name, kind, writer)
                raise
            self._uploads.popleft()
            self.index.add(name, kind, writer.entries)
            for e in writer.entries:
                self._pending.pop(e.oid, None)

    # -- reading ---------------------------------------------------------------

    def _locate(self, oid: bytes) -> PackEntry:
        if oid in self._queued:
            self._drain(keep=0)
        hit = self._pending.get(oid)
        if hit is not None:
            return hit[1]
        return self._found(self._lookup, oid)[1]

    def _found(self, lookup, oid: bytes):
        """``lookup(oid)``, again after reloading an index another process changed;
        ObjectNotFound when it is in neither."""
        found = lookup(oid)
        if found is None and self._refresh_index():
            found = lookup(oid)
        if found is None:
            # A stat, not a listing: misses are routine in shallow and partial clones.
            if not self._index_path.exists() and self.unindexed_packs():
                raise ObjectNotFound(f"object {oid.hex()} not found: the pack index "
                                     f"{self._index_path} is missing",
                                     hint="run `ldv fsck --rebuild-index` to regenerate it "
                                          "from the packs")
            raise ObjectNotFound(f"object {oid.hex()} not found",
                                 hint="fetch it from a remote, or run `ldv fsck`")
        return found

    def unindexed_packs(self) -> list[str]:
        """Packs on the backend that the index does not list (its file deleted or
        lost; also, briefly, a pack another writer has not indexed yet)."""
        with self._read_lock:
            known = {name for name, _kind in self.index.pack_names()}
        return [n for n in self.pack_names() if n not in known]

    def _lookup(self, oid: bytes):
        """index.lookup under the read lock: a reload must not swap the index's
        buffer halfway through a concurrent bisection."""
        with self._read_lock:
            return self.index.lookup(oid)

    def _refresh_index(self) -> bool:
        """Reload the index if another process rewrote it; True if it did."""
        with self._read_lock:   # a reload swaps the buffer other readers bisect
            if not self.index.changed_on_disk():
                return False
            self.index.reload()
            self._ciphers.clear()
            return True

    def _plain(self, oid: bytes) -> bytes:
        """Plaintext of a delta base, through the cache."""
        cached = self._cache.get(oid)
        if cached is None:
            cached = self.get(oid)[1]
            self._cache.put(oid, cached)
        return cached

    def _base_chain(self, oid: bytes) -> "BaseChain":
        """The encoded bodies from ``oid`` down its delta chain to a full object
        or a cached plaintext: cheap reads and decryption, no decompression."""
        links = []
        while True:
            cached = self._cache.get(oid)
            if cached is not None:
                return BaseChain(cached, links)
            entry, body = self._body(oid, self._locate(oid))
            links.append((oid, entry.type, entry.enc, body))
            if entry.enc != Encoding.DELTA:
                return BaseChain(None, links)
            oid = entry.base

    def _read_then(self, oid: bytes, tag, then):
        type_code, plain = self._read_chain(oid)
        return then(tag, type_code, plain)

    def _read_chain(self, oid: bytes) -> tuple[ObjType, bytes]:
        """(type, plaintext) of ``oid``, read and decoded on the calling thread
        (a worker of read_each); only the id asked for is checked (BaseChain)."""
        links, bottom = self._chain_links(oid)
        try:
            bodies = self._read_bodies(links)
        except MissingPack:
            # another process may have repacked: follow its index, once
            if not self._refresh_index():
                raise
            links, bottom = self._chain_links(oid)
            bodies = self._read_bodies(links)
        bodies.reverse()
        plain = _thread_codec(self.codec.level).decode_chain(
            [(link[3], body) for link, body in zip(reversed(links), bodies)], bottom)
        type_code = links[0][2]
        if self.hasher.oid(type_code, plain) != oid:
            raise CorruptObject(f"object {oid.hex()} does not match its id "
                                "(swapped or damaged)", hint=_FSCK_HINT)
        return ObjType(type_code), plain

    def _chain_links(self, oid: bytes) -> tuple[list, bytes | None]:
        """(links, plaintext below the last link if it was cached, else None):
        links are ``(pack name, or (PackWriter, entry) while being written, id,
        type, encoding, offset, length)`` from ``oid`` down its delta chain.  The index gives a chain
        with one search (PackIndex.chain); the pack being written and a refreshed
        index fill in what it lacks.  Never drains the write queue, so worker
        threads may call it."""
        links, pending = [], self._pending
        while True:
            hit = pending.get(oid) if pending else None
            if hit is not None:
                e = hit[1]
                links.append((hit, oid, e.type, e.enc, e.offset, e.length))
                rest = e.base if e.enc == Encoding.DELTA else None
            else:
                got = self._found(self._index_chain, oid)
                links += got[0]
                rest = got[1]
            if rest is None:
                break
            if len(links) > _MAX_LINKS:
                raise CorruptObject(f"object {links[0][1].hex()} has a delta chain "
                                    "that does not end (a cycle in the index?)",
                                    hint=_FSCK_HINT)
            oid = rest
        if self._cache.size:        # a base decoded for writing ends the chain early
            for k in range(1, len(links)):
                cached = self._cache.get(links[k][1])
                if cached is not None:
                    return links[:k], cached
        return links, None

    def _index_chain(self, oid: bytes):
        """index.chain under the read lock (a reload swaps the buffer it reads)."""
        with self._read_lock:
            return self.index.chain(oid, _MAX_LINKS)

    def _read_bodies(self, links: list) -> list[bytes]:
        """The decrypted bodies of ``links``: links in one pack that lie side by
        side (up to _GAP bytes apart) are fetched with one ranged read."""
        bodies: list = [None] * len(links)
        by_pack: dict[str, list[int]] = {}
        for i, link in enumerate(links):
            where = link[0]
            if isinstance(where, str):
                idx = by_pack.get(where)
                if idx is None:
                    by_pack[where] = [i]
                else:
                    idx.append(i)
            else:    # still in the pack being written: (writer, entry)
                writer, entry = where
                bodies[i] = _open(writer.cipher, writer.key_id, link, writer.read(entry),
                                  "the pack being written")
        for pack, idx in by_pack.items():
            path = pack_path(pack)
            _kind, key_id, cipher = self._pack_cipher(pack, path)
            if len(idx) > 1:
                idx.sort(key=lambda i: links[i][4])
            for run in _adjacent(idx, links):
                first = links[run[0]][4]
                end = max(links[i][4] + links[i][5] for i in run)
                buf = memoryview(self.backend.get(path, first, end - first))
                for i in run:
                    link = links[i]
                    at, length = link[4] - first, link[5]
                    ct = buf[at:at + length]
                    if len(ct) != length:
                        raise CorruptPack(f"pack {pack} is truncated (object "
                                          f"{link[1].hex()} is cut off)", hint=_FSCK_HINT)
                    bodies[i] = _open(cipher, key_id, link, ct, pack)
        return bodies

    def _decode(self, oid: bytes, entry: PackEntry) -> bytes:
        entry, body = self._body(oid, entry)
        base = self._plain(entry.base) if entry.enc == Encoding.DELTA else None
        return self.codec.decode(entry.enc, body, base)

    def _body(self, oid: bytes, entry: PackEntry) -> tuple[PackEntry, bytes]:
        """The decrypted, still encoded body (and the entry it was read through)."""
        key_id, cipher, ct, where, entry = self._ciphertext(oid, entry)
        return entry, _open(cipher, key_id, (None, entry.oid, entry.type, entry.enc,
                                             entry.offset, entry.length), ct, where)

    def read_encoded(self, oid: bytes) -> tuple[PackEntry, bytes]:
        """(entry, encoded body) of an object, id verified; for copying it
        elsewhere without compressing it again (a delta needs ``entry.base``)."""
        entry, body = self._body(oid, self._locate(oid))
        base = self._plain(entry.base) if entry.enc == Encoding.DELTA else None
        plain = self.codec.decode(entry.enc, body, base)
        if self.hasher.oid(entry.type, plain) != oid:
            raise CorruptObject(f"object {oid.hex()} does not match its id "
                                "(swapped or damaged)", hint=_FSCK_HINT)
        return entry, body

    def _ciphertext(self, oid: bytes, entry: PackEntry):
        hit = self._pending.get(oid)
        if hit is not None:
            w = hit[0]
            return w.key_id, w.cipher, w.read(entry), "the pack being written", entry
        pack, _e = self._lookup(oid)
        path = pack_path(pack)
        try:
            _kind, key_id, cipher = self._pack_cipher(pack, path)
            ct = self.backend.get(path, entry.offset, entry.length)
        except MissingPack:
            # another process may have repacked: follow its index, once
            found = self._lookup(oid) if self._refresh_index() else None
            if found is None:
                raise
            return self._ciphertext(oid, found[1])
        if len(ct) != entry.length:
            raise CorruptPack(f"pack {pack} is truncated (object {oid.hex()} is cut off)",
                              hint=_FSCK_HINT)
        return key_id, cipher, ct, f"pack {pack}", entry

    def _pack_cipher(self, pack: str, path: str):
        with self._read_lock:
            hit = self._ciphers.get(pack)
        if hit is None:
            # derived outside the lock (a read and a KDF); two threads may both
            # derive it, and either result is the same cipher
            hit = pack_cipher(pack, self.backend.get(path, 0, PREAMBLE_LEN),
                              self.keyring.data_keys)
            with self._read_lock:
                self._ciphers[pack] = hit
                if len(self._ciphers) > 256:
                    self._ciphers.popitem(last=False)
        return hit

    # -- for sync (push, fetch, partial clone) ---------------------------------

    def locate(self, oid: bytes) -> tuple[str, PackEntry] | None:
        """(pack name, entry) of a stored object after flush; None when absent."""
        self.flush()
        return self.index.lookup(oid)

    def delta_depth(self, oid: bytes) -> int:
        """How many deltas deep ``oid`` is stored (0: full); ObjectNotFound if absent."""
        return self._locate(oid).depth

    def with_delta_bases(self, oids: Iterable[bytes]) -> set[bytes]:
        """``oids`` plus every delta base their stored encodings need."""
        out, todo = set(), list(oids)
        while todo:
            oid = todo.pop()
            if oid in out:
                continue
            out.add(oid)
            hit = self.locate(oid)
            if hit is not None and hit[1].base is not None:
                todo.append(hit[1].base)
        return out

    def pack_entries(self, name: str) -> tuple[int, list[PackEntry]]:
        """(kind, entries) of a stored pack, from its authenticated header."""
        return read_header(name, self.backend, pack_path(name), self.keyring.data_keys)

    def add_pack(self, name: str, data) -> int:
        """Import a pack fetched from elsewhere (bytes or a stream); verify that it
        hashes to ``name`` and that its header opens with our keys; return the
        number of objects it holds."""
        raw = data if isinstance(data, (bytes, bytearray)) else data.read()
        if blake3.blake3(raw).hexdigest() != name:
            raise CorruptPack(f"pack {name} does not match its name (damaged in transit)",
                              hint="fetch it again")
        self.backend.put(pack_path(name), bytes(raw))
        kind, entries = self.pack_entries(name)
        self.index.add(name, kind, entries)
        with Lock(self.lock_dir / "index", timeout=30, what="the pack index"):
            self.index.save()
        return len(entries)

    def import_entry(self, pack: str, preamble: bytes, entry: PackEntry,
                     ciphertext: bytes) -> bytes:
        """Store one object read by ranged reads from a remote pack (partial clone):
        ``preamble`` is the pack's first PREAMBLE_LEN bytes, ``entry`` its record.
        A delta's base must be stored already.  Returns the verified id."""
        _kind, key_id, cipher = pack_cipher(pack, preamble, self.keyring.data_keys)
        try:
            body = cipher.decrypt(entry.offset, ciphertext,
                                  entry_aad(entry.oid, entry.type, entry.enc, key_id))
        except crypto.DecryptError:
            raise CorruptObject(f"object {entry.oid.hex()} from pack {pack} does not "
                                "decrypt", hint="fetch it again") from None
        base = self._plain(entry.base) if entry.enc == Encoding.DELTA else None
        plain = self.codec.decode(entry.enc, body, base)
        if self.hasher.oid(entry.type, plain) != entry.oid:
            raise CorruptObject(f"object {entry.oid.hex()} from pack {pack} does not "
                                "match its id", hint="fetch it again")
        return self.put(ObjType(entry.type), plain, delta_base=entry.base)

    # -- maintenance -----------------------------------------------------------

    def pack_names(self) -> list[str]:
        """Names of the packs in the backend (fsck; see index.pack_names() for the
        indexed ones with their kinds)."""
        return [p.rsplit("/", 1)[1] for p in self.backend.list("packs/")]

    def rebuild_index(self, on_error=None) -> int:
        """Regenerate the index from the packs' headers; return the object count.

        A pack whose header does not open raises, or, with ``on_error``, is
        reported as ``on_error(name, error)`` and left out.
        """
        self.flush()
        packs = []
        for name in self.pack_names():
            try:
                kind, entries = self.pack_entries(name)
            except (IntegrityError, MissingKey) as e:
                if on_error is None:
                    raise
                on_error(name, e)
                continue
            packs.append((name, kind, entries))
        with Lock(self.lock_dir / "index", timeout=30, what="the pack index"):
            # the old file is not read: it may be the damaged one
            PackIndex.write_fresh(self._index_path, packs)
            self.index = PackIndex(self._index_path)
        return len(self.index)

    def check_pack(self, name: str) -> None:
        """CorruptPack/MissingPack unless the pack's bytes hash to its name."""
        with self.backend.open(pack_path(name)) as f:
            check_pack_bytes(name, f)

    def repack(self, live_ids: Iterable[bytes], *, max_depth: int | None = None) -> dict:
        from .repack import repack
        return repack(self, set(live_ids), max_depth or self.max_depth)

    def close(self) -> None:
        """Flush and stop the worker threads."""
        self.flush()
        if self._pools is not None:
            for pool in self._pools:
                pool.shutdown()
            self._pools = None


_MAX_LINKS = 1000   # a longer chain can only be a damaged index
_GAP = 4096         # links this close in a pack are read together


_malloc_tuned = False


def _keep_freed_memory() -> None:
    """Ask glibc, once per process, to keep freed memory for reuse.  Reading a
    file's chunks allocates and frees a few 0.1-1 MiB buffers per chunk on each
    worker; by default glibc hands such memory back to the kernel and the next
    buffer faults its pages in again: ~60,000 page faults and ~0.15 s of system
    time in a 512 MiB checkout of the oldest of six versions.  Fixed thresholds
    (below 4 MiB from the heap; trim only above 64 MiB free) keep them.  Both
    together: either alone turns off glibc's adaptive thresholds and is worse.
    Without glibc, nothing changes."""
    global _malloc_tuned
    if _malloc_tuned:
        return
    _malloc_tuned = True
    try:
        import ctypes
        mallopt = ctypes.CDLL("libc.so.6").mallopt
    except (OSError, AttributeError):
        return
    mallopt(-3, 4 << 20)     # M_MMAP_THRESHOLD
    mallopt(-1, 64 << 20)    # M_TRIM_THRESHOLD


def _persist_upgrade(index: PackIndex, lock_dir: Path) -> None:
    """Save a version 1 index as version 2 (once; it was rebuilt in memory on
    every load) if its lock is free and the repository writable; otherwise the
    next load tries again."""
    try:
        with Lock(lock_dir / "index", timeout=0, what="the pack index"):
            index.persist_upgrade()
    except (RepositoryLocked, OSError):
        pass


def _pair(_tag, type_code: ObjType, data: bytes) -> tuple[ObjType, bytes]:
    return type_code, data


def _adjacent(idx: list[int], links: list) -> Iterator[list[int]]:
    """Runs of link numbers (sorted by offset) whose links lie side by side."""
    run, end = [], 0
    for i in idx:
        offset = links[i][4]
        if run and not 0 <= offset - end <= _GAP:
            yield run
            run = []
        run.append(i)
        end = offset + links[i][5]
    if run:
        yield run


def _open(cipher, key_id: int, link: tuple, ct, where: str) -> bytes:
    """Decrypt one link's ciphertext (its aad binds id, type, encoding, key);
    ``link`` is ``(where, id, type, encoding, offset, length)``, ``where`` a pack
    name or words for the error message."""
    _w, oid, type_code, enc, offset, _n = link
    try:
        return cipher.decrypt(offset, ct, entry_aad(oid, type_code, enc, key_id))
    except crypto.DecryptError:
        if len(where) == 64:
            where = f"pack {where}"
        raise CorruptObject(f"object {oid.hex()} in {where} does not decrypt "
                            "(damaged, or another object in its place)",
                            hint=_FSCK_HINT) from None


class BaseChain:
    """A delta base as read from the packs: ``links`` are (id, type, encoding,
    body) from the base itself down to a full object, or down to the object
    whose plaintext ``bottom`` was cached."""

    __slots__ = ("bottom", "links")

    def __init__(self, bottom: bytes | None, links: list):
        self.bottom, self.links = bottom, links

    def plaintext(self, codec: Codec, hasher: IdHasher, *, every: bool = True) -> bytes:
        """Decode bottom-up, checking every id on the way (as get() does), or with
        ``every`` False only the top one: a wrong base cannot decode to the right
        top id, so reading needs one hash per object, not one per link."""
        plain, top = self.bottom, self.links[0][0] if self.links else None
        for oid, type_code, enc, body in reversed(self.links):
            plain = codec.decode(enc, body, plain)
            if (every or oid == top) and hasher.oid(type_code, plain) != oid:
                raise CorruptObject(f"object {oid.hex()} does not match its id "
                                    "(swapped or damaged)", hint=_FSCK_HINT)
        return plain


_codecs = threading.local()


def _thread_codec(level: int) -> Codec:
    """This thread's own codec (zstd contexts are not thread-safe)."""
    codec = getattr(_codecs, "codec", None)
    if codec is None or codec.level != level:
        codec = _codecs.codec = Codec(level)
    return codec


def _encode(level: int, hasher: IdHasher, data: bytes, base: BaseChain | None):
    """Decode the base and encode ``data`` on a worker thread."""
    codec = _thread_codec(level)
    return codec.encode(data, base.plaintext(codec, hasher) if base else None)
