"""Files in the work tree: walking, hashing, storing and writing them back.

Paths are work-tree relative, '/'-separated strings ("" is the root).  The walk
never enters ``.ldv`` or an ignored directory and stats each entry once; symlinks
are never followed.  Writing a file goes through a temporary name and a rename, so
a crash leaves either the old or the new file; all-zero chunks become holes, so a
sparse file stays sparse.
"""
from __future__ import annotations

import functools
import os
import stat as statmod
from collections.abc import Iterator
from pathlib import Path

from ldv.plumbing.errors import CorruptObject, InvalidPath
from ldv.plumbing.ignore import IGNORE_FILE, Ignore
from ldv.plumbing.index import mode_of
from ldv.plumbing.objects import MODE_EXEC, MODE_SYMLINK
from ldv.plumbing.objtype import ObjType

TYPE_CHECKING = False   # typing.TYPE_CHECKING without importing typing (start-up);
                        # type checkers read this name as True
if TYPE_CHECKING:   # annotations only: status imports this module, not the chunker
    from ldv.plumbing.chunking import Chunker

REPO_DIR = ".ldv"


class HashingODB:
    """An ObjectDatabase that computes ids and keeps only small metadata objects.

    Used to learn a file's blob id (status, clobber checks) without storing chunks.
    """

    def __init__(self, hasher):
        self.hasher = hasher
        self._meta: dict[bytes, tuple[ObjType, bytes]] = {}

    def has(self, oid: bytes) -> bool:
        return oid in self._meta

    def get(self, oid: bytes):
        return self._meta[oid]

    def put(self, type_code, data, *, delta_base=None) -> bytes:
        oid = self.hasher.oid(type_code, data)
        if type_code != ObjType.CHUNK:
            self._meta[oid] = (ObjType(type_code), bytes(data))
        return oid

    def flush(self) -> None:
        pass

    def iter_ids(self):
        return iter(list(self._meta))


def lstat(root: Path, path: str) -> os.stat_result | None:
    """lstat of a tracked-kind file (regular or symlink), else None."""
    try:
        st = os.lstat(f"{root}/{path}")     # str, not Path: this runs once per file
    except (FileNotFoundError, NotADirectoryError):
        return None
    return st if mode_of(st) is not None else None


def walk(root: Path, ignore: Ignore, start: str = "") -> Iterator[tuple[str, os.stat_result]]:
    """Every non-ignored file and symlink under ``start``, with its lstat."""
    for path, d in scan(root, ignore, start):
        st = d.stat(follow_symlinks=False)
        if mode_of(st) is not None:       # it may have changed kind since readdir
            yield path, st


def scan(root: Path, ignore: Ignore, start: str = "") -> Iterator[tuple[str, os.DirEntry]]:
    """Every non-ignored regular file and symlink under ``start``, with its DirEntry."""
    for prefix, files in scan_dirs(root, ignore, start):
        for d in files:
            yield prefix + d.name, d


def scan_dirs(root: Path, ignore: Ignore,
              start: str = "") -> Iterator[tuple[str, list[os.DirEntry]]]:
    """Per directory under ``start``: its path prefix ("" or "dir/") and its
    non-ignored regular files and symlinks, as DirEntry objects.

    Kinds come from readdir's d_type, so nothing is stat'ed here: the caller calls
    ``entry.stat(follow_symlinks=False)`` (one lstat, cached) only for the files it
    must compare -- `status` never stats an untracked file.  One list per directory
    rather than one generator step per file: this runs for every file in the tree.
    """
    root_s = str(root)
    stack = [(start, ignore.has_rules(start))]
    while stack:
        rel, rules = stack.pop()
        try:
            it = os.scandir(f"{root_s}/{rel}" if rel else root_s)
        except (FileNotFoundError, NotADirectoryError, PermissionError):
            continue
        prefix = rel + "/" if rel else ""
        files = []
        with it:
            for d in it:
                if d.is_dir(follow_symlinks=False):
                    path = prefix + d.name
                    if (rel or d.name != REPO_DIR) and not (rules and ignore.excluded(path, True)):
                        # rules below: inherited, or its own .ldvignore (Ignore.has_rules)
                        stack.append((path, rules or os.path.isfile(
                            f"{root_s}/{path}/{IGNORE_FILE}")))
                elif (d.is_file(follow_symlinks=False) or d.is_symlink()) and not (
                        rules and ignore.excluded(prefix + d.name, False)):
                    files.append(d)
        yield prefix, files


def hash_file(root: Path, path: str, st: os.stat_result, chunker: "Chunker", hasher) -> bytes:
    """The blob id the file would get, without storing anything."""
    odb = HashingODB(hasher)
    return store_file(odb, root, path, st, chunker)[0]


def store_file(odb, root: Path, path: str, st: os.stat_result, chunker: "Chunker",
               base: bytes | None = None, on_read=None) -> tuple[bytes, int]:
    """Write the file's content as a blob; ``base`` is its previous blob (deltas).
    ``on_read(n)`` is told of every n bytes read (progress)."""
    from ldv.plumbing.blobs import BlobWriter, write_blob, write_bytes
    full = root / path
    if statmod.S_ISLNK(st.st_mode):
        return write_bytes(odb, os.fsencode(os.readlink(full)), chunker=chunker)
    with open(full, "rb", buffering=0) as f:
        if st.st_size < chunker.min_size:
            # FastCDC never cuts below min_size: a small file is one chunk.  Skipping
            # the stream chunker (and its buffer) makes many small files much faster.
            data = f.read(chunker.min_size)
            if len(data) < chunker.min_size:
                w = BlobWriter(odb, base=base)
                if data:
                    w.write_chunk(data)
                if on_read:
                    on_read(len(data))
                return w.close()
            f.seek(0)
        stream = _Counted(f, on_read) if on_read else f
        return write_blob(odb, stream, chunker=chunker, base=base)


class _Counted:
    """A raw file that reports how much was read from it (one large file's progress)."""

    def __init__(self, f, report):
        self._f, self._report = f, report

    def readinto(self, buf) -> int:
        n = self._f.readinto(buf)
        if n:
            self._report(n)
        return n


def read_symlink_target(odb, oid: bytes) -> bytes:
    from ldv.plumbing.blobs import iter_chunk_ids
    return b"".join(odb.get(c)[1] for c, _ in iter_chunk_ids(odb, oid))


def write_file(odb, root: Path, path: str, mode: int, oid: bytes,
               on_write=None) -> os.stat_result:
    """Materialize blob ``oid`` at ``path`` with ``mode``; return the new lstat.
    ``on_write(n)`` is told of every chunk of n bytes written (progress)."""
    full = root / path
    make_parents(root, path)
    if full.is_dir() and not full.is_symlink():
        full.rmdir()   # callers checked it holds nothing untracked; empty by now
    if mode == MODE_SYMLINK:
        target = read_symlink_target(odb, oid)
        tmp = full.with_name(f".{full.name}.ldvtmp")
        _unlink(tmp)
        os.symlink(target, tmp)
        os.replace(tmp, full)
        return os.lstat(full)
    tmp = full.with_name(f".{full.name}.ldvtmp")
    _unlink(tmp)
    perm = 0o777 if mode == MODE_EXEC else 0o666   # the umask decides the rest
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, perm)
    try:
        _copy_blob(odb, oid, fd, on_write)
        size = os.fstat(fd).st_size
    except BaseException:
        os.close(fd)
        _unlink(tmp)
        raise
    os.close(fd)
    if size >= _SET_ASIDE_FROM and full.is_file() and not full.is_symlink():
        _replace_set_aside(tmp, full)
    else:
        os.replace(tmp, full)
    return os.lstat(full)


_SET_ASIDE_FROM = 16 << 20


def _replace_set_aside(tmp: Path, full: Path) -> None:
    """os.replace(tmp, full) for a large file, without ext4's rename-over cost:
    renaming onto an existing file makes ext4 (auto_da_alloc) allocate and start
    writing back all of ``tmp`` inside the rename -- 0.27-0.37 s for a 512 MiB
    checkout here, against 0.11-0.13 s to rename the old file aside, rename the
    new one in and unlink the old (git unlinks, then writes a fresh file).  The
    path is missing only between the two renames; a crash there leaves the old
    file as ``.NAME.ldvold``."""
    old = full.with_name(f".{full.name}.ldvold")
    _unlink(old)
    try:
        os.rename(full, old)
    except OSError:             # something odd in the way (a directory): plainly
        os.replace(tmp, full)
        return
    try:
        os.rename(tmp, full)
    except BaseException:
        os.rename(old, full)
        raise
    _unlink(old)


def _copy_blob(odb, oid: bytes, fd: int, on_write=None) -> None:
    """Write the blob's chunks to ``fd``; all-zero chunks become holes.

    Each chunk goes to its own offset (os.pwrite), so with a store that decodes
    ahead on worker threads (``read_each``) the worker that decoded a chunk also
    writes it, and this thread only hands out chunk ids."""
    from ldv.plumbing.blobs import iter_chunk_ids
    placed = _placed(_runs(iter_chunk_ids(odb, oid)))
    write = functools.partial(_write_run, fd)
    read_each = getattr(odb, "read_each", None)
    done = read_each(placed, write) if read_each else \
        (write(tag, *odb.get(cid)) for cid, tag in placed)
    size = 0
    for n in done:
        size += n
        if on_write:
            on_write(n)
    os.ftruncate(fd, size)      # a hole at the end has no write to make it


def _placed(runs):
    """(chunk id, (offset, length, count)) of each run, in file order."""
    offset = 0
    for cid, n, k in runs:
        yield cid, (offset, n, k)
        offset += n * k


def _write_run(fd: int, tag: tuple[int, int, int], _type, data) -> int:
    """Write one run of ``count`` copies of a chunk at ``offset`` (unless the chunk
    is all zeros: a hole); return the bytes it covers.  Runs on a worker thread."""
    offset, n, k = tag
    if len(data) != n:
        raise CorruptObject(f"a chunk has {len(data)} bytes, its blob says {n}",
                            hint="run `ldv fsck`")
    if not data[0] and not data[-1] and data.count(0) == n:   # holes stay holes
        return n * k
    for j in range(k):
        view, at = memoryview(data), offset + j * n
        while view:
            written = os.pwrite(fd, view, at)
            view, at = view[written:], at + written
    return n * k


def _runs(chunks):
    """(id, length, count) of runs of one repeated chunk: a sparse file's zeros
    are read once per run, not once per chunk."""
    last, n, k = None, 0, 0
    for cid, length in chunks:
        if cid == last:
            k += 1
            continue
        if last is not None:
            yield last, n, k
        last, n, k = cid, length, 1
    if last is not None:
        yield last, n, k


def make_parents(root: Path, path: str) -> None:
    """Create the parent directories of ``path``, replacing files in the way."""
    parts = path.split("/")[:-1]
    cur = root
    for p in parts:
        cur = cur / p
        if cur.is_symlink() or (cur.exists() and not cur.is_dir()):
            cur.unlink()   # callers checked that it was tracked and clean
        if not cur.exists():
            cur.mkdir()


def remove_file(root: Path, path: str) -> None:
    """Delete ``path`` and the directories it leaves empty (as git does)."""
    full = root / path
    _unlink(full)
    parent = full.parent
    while parent != root:
        try:
            parent.rmdir()
        except OSError:
            break
        parent = parent.parent


def _unlink(p: Path) -> None:
    try:
        p.unlink()
    except (FileNotFoundError, NotADirectoryError, IsADirectoryError):
        pass      # already gone, or a directory now: git leaves those alone too


def normalize(root: Path, cwd: Path, user_path: str) -> str:
    """A user's path (relative to ``cwd`` or absolute) as a work-tree path."""
    p = Path(user_path)
    full = Path(os.path.normpath(p if p.is_absolute() else cwd / p))
    try:
        rel = full.relative_to(root)
    except ValueError:
        raise InvalidPath(f"{user_path!r} is outside the work tree {str(root)!r}",
                          hint="give paths inside the repository") from None
    rel_s = rel.as_posix()
    rel_s = "" if rel_s == "." else rel_s
    if rel_s == REPO_DIR or rel_s.startswith(REPO_DIR + "/"):
        raise InvalidPath(f"{user_path!r} is inside the repository's {REPO_DIR} directory",
                          hint="ldv manages .ldv itself; give work-tree paths")
    return rel_s


def under(path: str, prefix: str) -> bool:
    """Is ``path`` equal to or below ``prefix`` ("" matches everything)?"""
    return not prefix or path == prefix or path.startswith(prefix + "/")


def clear_made(dest: Path, existed: bool) -> None:
    """Undo a command that filled ``dest`` (a clone, an export) after it failed:
    remove ``dest`` if the command created it, else empty it again (it had to be
    empty), so that running the command again simply starts over."""
    import shutil
    for made in (list(dest.iterdir()) if existed else [dest]):
        if made.is_dir() and not made.is_symlink():
            shutil.rmtree(made, ignore_errors=True)
        else:
            made.unlink(missing_ok=True)
