"""The index: Git's staging area and stat cache, sealed like every other file.

Glossary:
  entry       one tracked path: its staged blob id and mode, and the stat data
              (size, mtime_ns, ctime_ns, inode, device) of the file when that id
              was known to match it
  stat cache  an entry whose stat data equals the file's ``lstat`` is taken to be
              unchanged without opening the file
  racy        a file modified within the timestamp granularity of the moment its
              entry was recorded can change again without changing its stat data;
              such entries are marked UNVERIFIED when the index is written (Git
              "smudges" them) and are hashed on the next look, once time has moved on
  tree cache  the id of the tree the whole index would write, while known (Git's
              cache-tree for the root), so status and commit skip rebuilding it

The serialized index is binary and versioned (docs/FORMAT.md, "Index"); it is
stored with ``Repo.write_secret("index", ...)``, so it is encrypted at rest.
"""
from __future__ import annotations

import bisect
import os
import stat as statmod
import struct
import time
from operator import itemgetter
from collections.abc import Iterator

from .errors import CorruptIndex, CorruptObject
from .objects import MODE_DIR, MODE_EXEC, MODE_FILE, MODE_SYMLINK, TreeEntry

SECRET_NAME = "index"
MAGIC = b"LDVI"
VERSION = 2                                 # 2 added the head commit id; 1 is read
_HEADER = struct.Struct("<4sHHQII")         # magic, version, flags, stamp, entries, trees
_HEAD = struct.Struct("<32s")               # v2: the commit the tree cache's root is
                                            # known to equal (zeros: not known)
_ENTRY = struct.Struct("<IHQqqQQ32s")       # mode, flags, size, mtime, ctime, ino, dev, oid
_TREE = struct.Struct("<32sQ")              # cached tree of one directory: oid, size
# An entry's stat key: flags, size, mtime, ctime, ino -- bytes 4..38 of its record
STAT_KEY = struct.Struct("<HQqqQ")
_KEY_IN_ENTRY = struct.Struct("<4x34s40x")
_MTIME_IN_ENTRY = struct.Struct("<14xq56x")
_FLAGS_AT = struct.Struct("<H")
# then the entry paths and the cached directories' paths ("" is the root), UTF-8,
# each ended by NUL (a path never holds one)

UNVERIFIED = 1            # entry flag: stat data may not be trusted, hash to compare
UNMERGED = 2              # entry flag: a merge conflict not yet resolved (`add` clears it)
SKIP_WORKTREE = 4         # entry flag: outside a partial clone's path, never checked out;
                          # status ignores the file, commits keep the entry as it is
# Timestamps come from the kernel's coarse clock, which may lag time.time_ns() by a
# tick (1/HZ: 10 ms at HZ=100, the coarsest Linux configures); a file touched
# within two ticks of an index write is treated as racy.  That covers Git's rule
# (racy when the file's mtime is not older than the index file's own, i.e. in the
# same tick) with margin; a wider window only re-hashes more: a 512 MiB checkout
# ends less than 100 ms before its index is written.
RACY_WINDOW_NS = 20_000_000
COARSE_WINDOW_NS = 2_000_000_000   # filesystems with whole-second timestamps


def mode_of(st: os.stat_result) -> int | None:
    """The tree mode for a file's lstat, or None for what ldv does not track."""
    m = st.st_mode
    if statmod.S_ISREG(m):
        return MODE_EXEC if m & 0o100 else MODE_FILE
    if statmod.S_ISLNK(m):
        return MODE_SYMLINK
    return None


class Entry:
    """One tracked path."""

    __slots__ = ("path", "mode", "oid", "size", "mtime_ns", "ctime_ns", "ino", "dev",
                 "flags")

    def __init__(self, path: str, mode: int, oid: bytes, size: int, mtime_ns: int = 0,
                 ctime_ns: int = 0, ino: int = 0, dev: int = 0, flags: int = UNVERIFIED):
        self.path, self.mode, self.oid, self.size = path, mode, oid, size
        self.mtime_ns, self.ctime_ns, self.ino, self.dev = mtime_ns, ctime_ns, ino, dev
        self.flags = flags

    @classmethod
    def from_stat(cls, path: str, mode: int, oid: bytes, st: os.stat_result) -> "Entry":
        """An entry whose blob ``oid`` was read from the file ``st`` describes."""
        return cls(path, mode, oid, st.st_size, st.st_mtime_ns, st.st_ctime_ns,
                   st.st_ino, st.st_dev, 0)

    def stat_matches(self, st: os.stat_result) -> bool:
        """True when the file is unchanged as far as ``lstat`` can tell."""
        # no mode comparison needed: chmod and a new file type both change ctime
        return (not self.flags & UNVERIFIED and self.mtime_ns == st.st_mtime_ns
                and self.ctime_ns == st.st_ctime_ns and self.size == st.st_size
                and self.ino == st.st_ino)

    def same_content(self, other: "Entry | None") -> bool:
        return other is not None and self.mode == other.mode and self.oid == other.oid

    def __repr__(self) -> str:
        return f"Entry({self.path!r}, {self.mode:o}, {self.oid.hex()[:12]}, {self.size})"


class Index:
    """Tracked paths by name, and the tree cache: {directory: (tree id, size)} for
    directories whose entries did not change since their tree was written.

    A parsed index keeps its records packed and makes ``Entry`` objects only when
    ``entries`` is first used: ``status`` on an unchanged tree compares stat data
    from ``stat_keys()`` and never builds 50,000 Python objects it would discard.
    """

    def __init__(self, entries: dict[str, Entry] | None = None, tree: bytes | None = None):
        self._entries: dict[str, Entry] | None = entries or {}
        self._path_list: list[str] | None = []   # parsed, not materialized: sorted
        self._records = memoryview(b"")    # paths, their packed _ENTRY records,
        self._names = b""                  # and their NUL-ended UTF-8 names
        self._count = 0                    # (decoded to _path_list on first use)
        self._keys: dict[str, bytes] | None = None
        self.cache: dict[str, tuple[bytes, int]] = {}
        self._head: tuple[bytes, bytes] | None = None   # (commit, its tree)
        self.tree = tree
        self.stamp_ns = 0

    @property
    def entries(self) -> dict[str, Entry]:
        """{path: Entry}, built from the packed records on first use."""
        if self._entries is None:
            entries = {p: Entry(p, mode, oid, sz, mt, ct, ino, dev, fl)
                       for p, (mode, fl, sz, mt, ct, ino, dev, oid)
                       in zip(self._paths, _ENTRY.iter_unpack(self._records))}
            if len(entries) != len(self._paths):
                raise _corrupt("has duplicate entries")
            self._entries = entries
            self._paths, self._records, self._keys = [], memoryview(b""), None
        return self._entries

    @entries.setter
    def entries(self, value: dict[str, Entry]) -> None:
        self._entries, self._paths, self._records, self._keys = value, [], memoryview(b""), None

    def stat_keys(self) -> dict[str, bytes]:
        """{path: packed (flags, size, mtime_ns, ctime_ns, ino)}, sliced straight
        from the records while the index is unmodified (bytes, not tuples of five
        ints: 50,000 of those cost more than the comparisons).  A file is unchanged
        as far as ``lstat`` can tell when its key equals ``stat_key(st)``; a flagged
        (UNVERIFIED, UNMERGED) entry never does, and Entry.stat_matches decides.
        The dict is cached and shared: copy it before changing it."""
        if self._entries is not None:
            return {p: STAT_KEY.pack(e.flags, e.size, e.mtime_ns, e.ctime_ns, e.ino)
                    for p, e in self._entries.items()}
        if self._keys is None:
            keys = dict(zip(self._paths, map(itemgetter(0),
                                             _KEY_IN_ENTRY.iter_unpack(self._records))))
            if len(keys) != len(self._paths):
                raise _corrupt("has duplicate entries")
            self._keys = keys
        return self._keys

    @property
    def _paths(self) -> list[str]:
        """The sorted entry paths of a parsed index, decoded on first use (the
        native status scan reads the encoded names and never needs them all)."""
        if self._path_list is None:
            # one decode for all names: NUL is never part of a UTF-8 sequence, so
            # this equals decoding each name on its own
            paths = self._names.decode("utf-8", "surrogateescape").split("\0")
            if len(paths) != self._count + 1 or paths.pop():
                raise _corrupt("is truncated or has trailing bytes")
            # serialize() writes paths sorted (get() bisects); duplicates: stat_keys()
            if paths != sorted(paths):
                raise _corrupt("has unsorted entries")
            self._path_list = paths
        return self._path_list

    @_paths.setter
    def _paths(self, value: list[str]) -> None:
        self._path_list, self._names, self._count = value, b"", len(value)

    def packed(self) -> tuple[int, memoryview, bytes] | None:
        """(entry count, packed records, NUL-ended UTF-8 names) while the index is
        as parsed (records may have been refreshed in place), else None: the form
        the native work-tree scan reads (plumbing/_native.c)."""
        if self._entries is not None or self._path_list is not None:
            return None
        return self._count, self._records, self._names

    def path_at(self, i: int) -> str:
        """The path of the i-th (sorted) entry of a parsed index."""
        return self._paths[i]

    def has_dir(self, path: str) -> bool:
        """Is some tracked path below directory ``path``?"""
        below = path + "/"
        paths = self._paths if self._entries is None else sorted(self._entries)
        i = bisect.bisect_left(paths, below)
        return i < len(paths) and paths[i].startswith(below)

    def paths(self):
        """Every tracked path (a view: do not mutate the index while iterating)."""
        return self._entries.keys() if self._entries is not None else self._paths

    def any_flagged(self, flag: int) -> bool:
        """Does any entry carry ``flag`` (UNMERGED ...)?  Reads only the flags."""
        if self._entries is not None or flag > 0xff:
            return any(e.flags & flag for e in self.entries.values())
        # the low byte of every record's flags (offset 4, little-endian), in C
        low = self._records[4::_ENTRY.size].tobytes()
        has_bit = bytes(1 if b & flag else 0 for b in range(256))
        return low.translate(has_bit).count(1) > 0

    @property
    def tree(self) -> bytes | None:
        """The root tree id of the index, while known."""
        root = self.cache.get("")
        return root[0] if root else None

    @property
    def head(self) -> bytes | None:
        """The commit whose tree the index's root tree (``tree``) was known to be
        when both were set, so status compares HEAD with the index without reading
        a commit; None when not known.  Setting ``tree`` forgets it, and so does
        every change of the entries."""
        # kept with the tree it was set for: any other root tree voids it
        if self._head is None or self.tree is None or self._head[1] != self.tree:
            return None
        return self._head[0]

    def set_tree(self, tree: bytes | None, commit: bytes | None) -> None:
        """The index equals ``tree``, the tree of ``commit`` (when given)."""
        self.tree = tree
        self._head = (commit, tree) if tree is not None and commit else None

    @tree.setter
    def tree(self, oid: bytes | None) -> None:
        self._head = None
        # Callers set it when they know the entries equal that tree (after a commit
        # or checkout); cached subdirectories stay valid: every mutation evicts its
        # own ancestors.
        if oid is None:
            self.cache.pop("", None)
        else:
            self.cache[""] = (oid, self.cache.get("", (b"", 0))[1])

    def _invalidate(self, path: str) -> None:
        cache = self.cache
        self._head = None
        if not cache:
            return
        cache.pop("", None)
        i = path.find("/")
        while i != -1:
            cache.pop(path[:i], None)
            i = path.find("/", i + 1)

    def __contains__(self, path: str) -> bool:
        if self._entries is None:
            return self._find(path) is not None
        return path in self._entries

    def __len__(self) -> int:
        return len(self._entries) if self._entries is not None else self._count

    def __iter__(self) -> Iterator[Entry]:
        for path in sorted(self.entries):
            yield self.entries[path]

    def get(self, path: str) -> Entry | None:
        if self._entries is None:
            # one record, found by bisection: a few changed files in a large tree
            # must not build every entry
            i = self._find(path)
            if i is None:
                return None
            mode, fl, sz, mt, ct, ino, dev, oid = _ENTRY.unpack_from(
                self._records, i * _ENTRY.size)
            return Entry(path, mode, oid, sz, mt, ct, ino, dev, fl)
        return self._entries.get(path)

    def _find(self, path: str) -> int | None:
        paths = self._paths
        i = bisect.bisect_left(paths, path)
        return i if i < len(paths) and paths[i] == path else None

    def put(self, entry: Entry) -> None:
        old = self.entries.get(entry.path)
        if old is None or not old.same_content(entry):
            self._invalidate(entry.path)
        self.entries[entry.path] = entry

    def remove(self, path: str) -> Entry | None:
        old = self.entries.pop(path, None)
        if old is not None:
            self._invalidate(path)
        return old

    def write_tree(self, odb) -> bytes:
        """Write the trees of the index (reusing cached directories); the root id."""
        root: dict = {}
        for path, e in self.entries.items():
            node = root
            parts = path.split("/")
            for name in parts[:-1]:
                node = node.setdefault(name, {})
            node[parts[-1]] = e
        return self._write_dir(odb, root, "")[0]

    def _write_dir(self, odb, node: dict, prefix: str) -> tuple[bytes, int]:
        hit = self.cache.get(prefix)
        if hit is not None and (hit[1] or not prefix):
            return hit
        entries = []
        for name, child in node.items():
            if isinstance(child, dict):
                oid, size = self._write_dir(odb, child, f"{prefix}/{name}" if prefix else name)
                entries.append(TreeEntry(name, MODE_DIR, oid, size))
            else:
                entries.append(TreeEntry(name, child.mode, child.oid, child.size))
        from .trees import write_tree   # not at the top: status rarely writes trees
        # the same ids and sizes as trees.build_tree, so both agree on every tree
        result = (write_tree(odb, entries), sum(t.size for t in entries))
        self.cache[prefix] = result
        return result

    def dirs(self) -> set[str]:
        """Every directory that holds a tracked path."""
        out: set[str] = set()
        for p in self.paths():
            i = p.rfind("/")
            while i > 0 and p[:i] not in out:
                out.add(p[:i])
                i = p.rfind("/", 0, i)
        return out

    def drop_conflicts(self, path: str, dirs: set[str] | None = None) -> list[str]:
        """Untrack what a new ``path`` replaces: a tracked file at one of its parent
        directories, or tracked files below it (Git's OK_TO_REPLACE)."""
        gone = []
        parts = path.split("/")
        for k in range(1, len(parts)):
            parent = "/".join(parts[:k])
            if self.remove(parent) is not None:
                gone.append(parent)
        if dirs is None or path in dirs:
            for below in self.paths_under(path):
                if below != path:
                    self.remove(below)
                    gone.append(below)
        return gone

    def paths_under(self, prefix: str) -> list[str]:
        """Tracked paths equal to ``prefix`` or below it ("" means all), sorted."""
        if not prefix:
            return sorted(self.entries)
        below = prefix.rstrip("/") + "/"
        return sorted(p for p in self.entries if p == prefix or p.startswith(below))

    def files(self) -> dict[str, tuple[int, bytes, int]]:
        """{path: (mode, oid, size)}, the shape trees.build_tree takes."""
        return {p: (e.mode, e.oid, e.size) for p, e in self.entries.items()}

    # -- serialization ---------------------------------------------------------

    def refresh(self, entry: Entry) -> bool:
        """Take ``entry``'s stat data for its tracked path when its content (mode,
        id) is unchanged (Git's index refresh); False if untracked or changed.
        A packed index is patched in place: the refresh after a status does not
        build every entry."""
        if self._entries is not None:
            cur = self._entries.get(entry.path)
            if cur is None or not cur.same_content(entry):
                return False
            self._entries[entry.path] = entry
            return True
        i = self._find(entry.path)
        if i is None:
            return False
        mode, *_, oid = _ENTRY.unpack_from(self._records, i * _ENTRY.size)
        if (mode, oid) != (entry.mode, entry.oid):
            return False
        self._writable()
        _ENTRY.pack_into(self._records, i * _ENTRY.size, entry.mode, entry.flags,
                         entry.size, entry.mtime_ns, entry.ctime_ns, entry.ino, entry.dev,
                         entry.oid)
        return True

    def _writable(self) -> None:
        """Own a mutable copy of the packed records (parse keeps the caller's bytes)."""
        if self._records.readonly:
            self._records = memoryview(bytearray(self._records))
        self._keys = None

    def _serialize_packed(self, now: int) -> bytes:
        """serialize() without building entries: mark racy records, reuse the rest."""
        coarse = now - COARSE_WINDOW_NS        # is_racy needs at least this
        racy = [i for i, (mt,) in enumerate(_MTIME_IN_ENTRY.iter_unpack(self._records))
                if mt >= coarse and is_racy(mt, now)]
        if racy:
            self._writable()
            for i in racy:
                at = i * _ENTRY.size + 4
                _FLAGS_AT.pack_into(self._records, at,
                                    _FLAGS_AT.unpack_from(self._records, at)[0] | UNVERIFIED)
        dirs = sorted(self.cache)
        if self._path_list is None:        # names as parsed: no need to decode them
            names = self._names + "".join(d + "\0" for d in dirs).encode(
                "utf-8", "surrogateescape")
        else:
            joined = self._path_list + dirs
            names = "\0".join(joined).encode("utf-8", "surrogateescape") + b"\0" \
                if joined else b""
        self.stamp_ns = now
        return b"".join([
            _HEADER.pack(MAGIC, VERSION, 0, now, self._count, len(dirs)),
            _HEAD.pack(self.head or bytes(32)), self._records, *[_TREE.pack(*self.cache[d]) for d in dirs], names])

    def serialize(self, now_ns: int | None = None) -> bytes:
        """Encode; entries touched near ``now_ns`` are marked UNVERIFIED (racy)."""
        now = time.time_ns() if now_ns is None else now_ns
        if self._entries is None:
            return self._serialize_packed(now)
        dirs = sorted(self.cache)
        parts = [_HEADER.pack(MAGIC, VERSION, 0, now, len(self.entries), len(dirs)),
                 _HEAD.pack(self.head or bytes(32))]
        paths = sorted(self.entries)
        for path in paths:
            e = self.entries[path]
            if is_racy(e.mtime_ns, now):
                e.flags |= UNVERIFIED
            parts.append(_ENTRY.pack(e.mode, e.flags, e.size, e.mtime_ns, e.ctime_ns,
                                     e.ino, e.dev, e.oid))
        parts += [_TREE.pack(*self.cache[d]) for d in dirs]
        parts += [p.encode("utf-8", "surrogateescape") + b"\0" for p in paths + dirs]
        self.stamp_ns = now
        return b"".join(parts)

    @classmethod
    def parse(cls, data: bytes) -> "Index":
        try:
            magic, version, flags, stamp, count, ntrees = _HEADER.unpack_from(data, 0)
        except struct.error:
            raise _corrupt("is truncated") from None
        if magic != MAGIC:
            raise _corrupt("has a bad signature")
        if version not in (1, VERSION):
            raise _corrupt(f"has version {version}; this ldv reads 1 and {VERSION}")
        start = _HEADER.size
        head = None
        if version >= 2:
            if len(data) < start + _HEAD.size:
                raise _corrupt("is truncated")
            head = bytes(data[start:start + _HEAD.size])
            start += _HEAD.size
            head = head if any(head) else None
        trees_at = start + count * _ENTRY.size
        names_at = trees_at + ntrees * _TREE.size
        if len(data) < names_at or (data[-1:] != b"\0" if count + ntrees
                                    else len(data) > names_at):
            raise _corrupt("is truncated or has trailing bytes")
        # the cached directories' names are the last ones; the entries' names stay
        # encoded until used (Index._paths)
        parts = bytes(data[names_at:-1]).rsplit(b"\0", ntrees) if count + ntrees else [b""]
        if count:
            if len(parts) != ntrees + 1:
                raise _corrupt("is truncated or has trailing bytes")
            entry_names, tree_names = parts[0] + b"\0", parts[1:]
        else:
            if len(parts) != max(ntrees, 1) or (not ntrees and parts[0]):
                raise _corrupt("is truncated or has trailing bytes")
            entry_names, tree_names = b"", parts[:ntrees]
        index = cls()
        index._entries, index._path_list = None, None
        index._names, index._count = entry_names, count
        index._records = memoryview(data)[start:trees_at]
        trees = _TREE.iter_unpack(memoryview(data)[trees_at:names_at])
        for name, (oid, size) in zip(tree_names, trees):
            index.cache[name.decode("utf-8", "surrogateescape")] = (oid, size)
        index._head = (head, index.tree) if head and index.tree else None
        index.stamp_ns = stamp
        return index


def stat_key(st: os.stat_result) -> bytes:
    """What ``Index.stat_keys()`` holds for an unflagged entry recorded from ``st``
    (the fields Entry.stat_matches compares)."""
    return STAT_KEY.pack(0, st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino)


def is_racy(mtime_ns: int, now_ns: int) -> bool:
    """Could a file with this mtime still change without its mtime changing?"""
    window = COARSE_WINDOW_NS if mtime_ns % 1_000_000_000 == 0 else RACY_WINDOW_NS
    return mtime_ns >= now_ns - window


def _corrupt(what: str) -> CorruptIndex:
    return CorruptIndex(f"the index {what}",
                        hint="rebuild it from HEAD with `ldv reset` (work-tree files "
                             "are kept)")


def load_index(repo) -> Index:
    """The repository's index; an empty one before the first add."""
    try:
        data = repo.read_secret(SECRET_NAME)
    except CorruptObject:
        raise _corrupt("is damaged or was not written by this repository") from None
    return Index() if data is None else Index.parse(data)


def save_index(repo, index: Index) -> None:
    """Seal and atomically replace the index (the caller holds the repository lock)."""
    repo.write_secret(SECRET_NAME, index.serialize())
