"""``ldv://REV/PATH``: an fsspec filesystem over the files of any commit.

pyarrow, pandas, DuckDB (``duckdb.register_filesystem``) and Hugging Face
``datasets`` read a committed file through it without a checkout.  Reads are lazy
and random-access: a seek decrypts only the chunks the read touches (the blob's
chunk-list tree locates them), decrypted bytes stay in memory and no temporary
file is written (a bounded in-memory LRU keeps recently decrypted chunks for
re-reads).  ``stats`` counts the chunks decrypted, which is how tests and
benchmarks check that reading a Parquet footer stays cheap.

REV is anything ``ldv rev-parse`` accepts; branch names may contain ``/``, so the
shortest leading run of path components that resolves to a commit is the
revision (Git forbids both ``a`` and ``a/b`` as branch names).  ``REV:PATH`` in the
first component works too: ``ldv://main:data/train.parquet``.
"""
from __future__ import annotations

import datetime
import weakref
import threading
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass

import fsspec
from fsspec.spec import AbstractBufferedFile

from ldv.plumbing.blobs import open_blob
from ldv.plumbing.errors import BadRevision, CorruptObject
from ldv.plumbing.object_store import BytesLRU
from ldv.plumbing.objects import read_commit
from ldv.plumbing.odb import ObjType
from ldv.plumbing.trees import lookup, read_tree

from . import revparse


CACHE_BYTES = 64 << 20  # decrypted chunks kept in memory across opens and queries:
# DuckDB reads whole row groups (~9 MB) of two files on two threads, each with up to
# MAX_READ_AHEAD decoded ahead; at 32 MiB, 12% of a 10M-row diff's chunks were
# evicted before their second read (a chunk spanning two row groups, read-ahead)
READ_THREADS = 3        # workers decoding chunks ahead of readers
READ_AHEAD = 2 << 20    # bytes decoded past the end of a sequential read: at least
MAX_READ_AHEAD = 4 << 20  # this, or the last read's length (a row group) up to this;
# more would evict chunks decoded ahead before DuckDB's two files get to them
HOLD_BYTES = 128 << 20  # at most this much decoded while ``hold_reads`` is on is kept
# for the next read of the same chunk: a keyed diff's duplicate-key pre-check reads
# the key columns (~117 MB of the 10M-row benchmark's 1.5 GB), then the join reads
# every column; without it those chunks were decrypted and decompressed twice


@dataclass
class ReadStats:
    """Chunks and plaintext bytes decrypted through one filesystem, and cache hits."""

    chunks: int = 0
    bytes: int = 0
    cache_hits: int = 0


class _CachingODB:
    """The repository's object database with a small LRU of decrypted chunks,
    decoded concurrently.

    A query engine reads the same pages more than once (a Parquet footer per
    query, a key column scanned before the join): the cache saves decrypting them
    again.  It lives in memory only and is bounded by ``limit`` bytes.  DuckDB
    reads both versions from several threads, and the store's read path is safe
    for concurrent readers, so nothing here holds a lock while decoding;
    ``prefetch`` decodes chunks a read is about to need on a few worker threads
    (decryption and zstd release the GIL), and a reader that wants a chunk being
    decoded (ahead, or by another reader) waits for it instead of decoding it twice.
    """

    def __init__(self, odb, stats: ReadStats, limit: int = CACHE_BYTES,
                 workers: int = READ_THREADS):
        self._odb, self._stats, self._limit = odb, stats, limit
        self._cache = BytesLRU(limit, largest=limit)
        self._lock = threading.Lock()
        self._inflight: dict[bytes, Future] = {}
        self._workers = workers
        self._pool: ThreadPoolExecutor | None = None
        self._held: dict[bytes, bytes] = {}   # kept for one more read each
        self._held_bytes = 0
        self._hold_limit = 0                  # hold while held bytes stay under this

    @property
    def limit(self) -> int:
        return self._limit

    @property
    def cached_bytes(self) -> int:
        return self._cache.size

    @property
    def held_bytes(self) -> int:
        return self._held_bytes

    def hold(self, limit: int) -> None:
        """Keep the chunks read from now on, while those held stay under
        ``limit`` bytes (0 stops), until the first read of each after holding
        stopped takes it back, whatever the LRU evicts in between: for a scan of
        part of a file before a scan of all of it."""
        with self._lock:
            self._hold_limit = max(int(limit), 0)

    def release(self) -> None:
        """Stop holding and drop every chunk still held."""
        with self._lock:
            self._held.clear()
            self._held_bytes = self._hold_limit = 0

    def _keep(self, oid: bytes, data) -> None:
        """Hold ``data`` if holding and it fits (lock held)."""
        if self._held_bytes + len(data) <= self._hold_limit and oid not in self._held:
            self._held[oid] = data
            self._held_bytes += len(data)

    def get(self, oid: bytes):
        with self._lock:
            data = self._held.get(oid)
            if data is not None:
                if not self._hold_limit:   # its one later read: the LRU serves more
                    del self._held[oid]
                    self._held_bytes -= len(data)
                    self._cache.put(oid, data)
                self._stats.cache_hits += 1
                return ObjType.CHUNK, data
            data = self._cache.get(oid)
            if data is not None:
                self._stats.cache_hits += 1
                self._keep(oid, data)
                return ObjType.CHUNK, data
            job = self._inflight.get(oid)
            mine = job is None
            if mine:   # other readers of this chunk wait for this decode
                job = self._inflight[oid] = Future()
        if not mine:
            return job.result()
        try:
            result = self._decode(oid)
            job.set_result(result)
            return result
        except BaseException as exc:
            job.set_exception(exc)
            raise
        finally:
            with self._lock:
                self._inflight.pop(oid, None)

    def prefetch(self, oids) -> None:
        """Start decoding ``oids`` (not cached, not in flight) on the workers; at
        most ``workers`` * 8 in flight, so a long read cannot queue up the file."""
        if not self._workers or not self._limit:
            return   # nowhere to keep the result until a reader asks for it
        with self._lock:
            if self._pool is None:
                self._pool = ThreadPoolExecutor(self._workers, thread_name_prefix="ldv-revfs")
            for oid in oids:
                if len(self._inflight) >= 8 * self._workers:
                    break
                if oid not in self._cache and oid not in self._inflight \
                        and oid not in self._held:
                    self._inflight[oid] = self._pool.submit(self._prefetched, oid)

    def _prefetched(self, oid: bytes):
        try:
            return self._decode(oid)
        finally:
            with self._lock:   # it is in the cache now (or failed: readers retry)
                self._inflight.pop(oid, None)

    def _decode(self, oid: bytes):
        type_code, data = self._odb.get(oid)
        if type_code == ObjType.CHUNK:
            data = bytes(data)
            with self._lock:
                self._stats.chunks += 1
                self._stats.bytes += len(data)
                self._cache.put(oid, data)
                self._keep(oid, data)
        return type_code, data

    def close(self) -> None:
        """Stop the prefetch threads (waiting for chunks being decoded)."""
        with self._lock:
            pool, self._pool = self._pool, None
        if pool is not None:
            pool.shutdown(wait=True, cancel_futures=True)

    def __getattr__(self, name):
        return getattr(self._odb, name)


@dataclass(frozen=True)
class _Target:
    commit: bytes
    path: str
    oid: bytes
    size: int
    is_dir: bool


class RevisionFileSystem(fsspec.AbstractFileSystem):
    """Read-only fsspec filesystem ``ldv://REV/PATH`` over an open plumbing Repo."""

    protocol = "ldv"
    root_marker = ""
    cachable = False  # bound to one open repository object

    def __init__(self, repo, *, cache_bytes: int = CACHE_BYTES,
                 hold_bytes: int = HOLD_BYTES, **kwargs):
        super().__init__(**kwargs)
        self.repo = repo
        self.hold_bytes = hold_bytes
        self.stats = ReadStats()
        self.odb = _CachingODB(repo.odb, self.stats, cache_bytes)
        weakref.finalize(self, self.odb.close)
        self._targets: dict[str, _Target] = {}

    # -- resolving URLs -----------------------------------------------------------

    def _resolve(self, path: str) -> _Target:
        key = self._strip_protocol(path).strip("/")
        hit = self._targets.get(key)
        if hit is None:
            hit = self._targets[key] = self._resolve_uncached(key)
        return hit

    def _resolve_uncached(self, key: str) -> _Target:
        parts = key.split("/")
        if ":" in parts[0] or (":" in key and "/" in key.partition(":")[0]):
            rev, _, inner = key.partition(":")
            return self._target(revparse.resolve_commit(self.repo, rev), inner)
        for i in range(1, len(parts) + 1):
            try:
                commit = revparse.resolve_commit(self.repo, "/".join(parts[:i]))
            except BadRevision:
                continue
            return self._target(commit, "/".join(parts[i:]))
        raise FileNotFoundError(f"ldv://{key}: no revision at the start of the path")

    def _target(self, commit: bytes, inner: str) -> _Target:
        tree = read_commit(self.repo.odb, commit).tree
        inner = inner.strip("/")
        if not inner:
            return _Target(commit, "", tree, 0, True)
        entry = lookup(self.repo.odb, tree, inner)
        if entry is None:
            raise FileNotFoundError(f"{inner}: not in commit {commit.hex()[:12]}")
        return _Target(commit, inner, entry.oid, entry.size, entry.is_dir)

    # -- fsspec interface ---------------------------------------------------------

    def info(self, path, **kwargs):
        t = self._resolve(path)
        name = self._strip_protocol(path).strip("/")
        return {"name": name, "size": 0 if t.is_dir else t.size,
                "type": "directory" if t.is_dir else "file", "oid": t.oid.hex()}

    def ls(self, path, detail=True, **kwargs):
        t = self._resolve(path)
        base = self._strip_protocol(path).strip("/")
        if not t.is_dir:
            return [self.info(path)] if detail else [base]
        out = [{"name": f"{base}/{e.name}", "size": 0 if e.is_dir else e.size,
                "type": "directory" if e.is_dir else "file", "oid": e.oid.hex()}
               for e in read_tree(self.repo.odb, t.oid)]
        return out if detail else [e["name"] for e in out]

    def modified(self, path):
        t = self._resolve(path)
        if not t.commit:   # a blob named by id (blob_url): it never changes
            return datetime.datetime.fromtimestamp(0, datetime.timezone.utc)
        commit = read_commit(self.repo.odb, t.commit)
        return datetime.datetime.fromtimestamp(commit.commit_time, datetime.timezone.utc)

    def blob_url(self, oid: bytes, size: int) -> str:
        """A URL for the file blob ``oid`` (``size`` bytes) itself, with no commit:
        for a caller that already knows which blob it wants (``ldv diff --rows``)."""
        key = f"@blob/{oid.hex()}"
        self._targets[key] = _Target(b"", key, oid, size, False)
        return f"ldv://{key}"

    def _open(self, path, mode="rb", block_size=None, autocommit=True,
              cache_options=None, **kwargs):
        if mode != "rb":
            raise PermissionError("ldv:// is read-only: commit changes with `ldv commit`")
        t = self._resolve(path)
        if t.is_dir:
            raise IsADirectoryError(path)
        # no fsspec cache: the chunk LRU keeps re-read bytes, and fsspec's
        # read-ahead copied every range once more and decoded 1 MiB past it
        return RevisionFile(self, path, mode="rb", block_size=block_size or (1 << 20),
                            cache_type="none", size=t.size)

    def open_blob(self, path):
        """A BlobReader for ``path`` (counted in ``stats``)."""
        return open_blob(self.odb, self._resolve(path).oid)

    def hold_reads(self, on: bool = True) -> None:
        """While on, chunks read are also kept (up to ``hold_bytes``, in memory
        like the cache) for one later read each: a query that reads a file's key
        columns before one that reads all of it decrypts them once.  Off keeps
        what is held until that read or ``release_held``."""
        self.odb.hold(self.hold_bytes if on else 0)

    def release_held(self) -> None:
        """Drop the chunks ``hold_reads`` kept that were not read again."""
        self.odb.release()


class RevisionFile(AbstractBufferedFile):
    """One open committed file.  A range read locates its chunks under a lock
    (the BlobReader's node cache is not shared safely), then decodes them outside
    it, the later ones on the filesystem's workers, so DuckDB's threads reading
    one handle or several proceed in parallel.  A read that starts where the
    previous one ended also starts decoding what follows (as much as it read,
    between ``READ_AHEAD`` and ``MAX_READ_AHEAD`` bytes) once it has its bytes."""

    def __init__(self, fs, path, **kwargs):
        super().__init__(fs, path, **kwargs)
        self._reader = fs.open_blob(path)
        self._lock = threading.Lock()
        self._prev = (-1, -1)   # the previous range read

    def _fetch_range(self, start, end):
        with self._lock:
            spans = self._reader.chunk_spans(start, end)
            # sequential: starts inside or at the end of the previous range
            # (fsspec's own read-ahead makes consecutive ranges overlap)
            ahead = []
            if spans and self._prev[0] <= start <= self._prev[1]:
                more = min(max(end - start, READ_AHEAD), MAX_READ_AHEAD,
                           self.fs.odb.limit // 8)
                ahead = self._reader.chunk_spans(end, end + more)
            self._prev = (start, end)
        odb = self.fs.odb
        odb.prefetch([oid for oid, _s, _n in spans[1:]])
        parts = []
        for oid, s, n in spans:
            type_code, data = odb.get(oid)
            if type_code != ObjType.CHUNK or len(data) != n:
                raise CorruptObject(f"chunk {oid.hex()} of {self.path} is not the "
                                    f"{n}-byte chunk its blob names", hint="run `ldv fsck`")
            parts.append(memoryview(data)[max(start - s, 0):min(end, s + n) - s])
        # the next range decodes while the caller works on this one
        odb.prefetch([oid for oid, _s, _n in ahead])
        return b"".join(parts)
