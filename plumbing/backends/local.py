"""A Backend over a local directory: temp file + fsync + rename, then fsync the dir.

Also home of :func:`atomic_write`, the one way plumbing replaces a file under .ldv.
"""
from __future__ import annotations

import io
import os
from _thread import get_ident      # threading.get_ident, without importing threading
from collections.abc import Iterator
from pathlib import Path

from ..errors import BadInput, MissingPack, RepositoryError

TYPE_CHECKING = False   # typing.TYPE_CHECKING without importing typing (start-up);
if TYPE_CHECKING:       # type checkers read this name as True
    from typing import BinaryIO

_COPY_BUF = 1 << 20


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def atomic_write(path: Path, data: bytes | BinaryIO, mode: int = 0o644) -> None:
    """Replace ``path`` with ``data`` so that readers see the old or the new file."""
    path = Path(path)
    # pid and thread id: concurrent writers never share a temporary file
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{get_ident()}.tmp")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
        try:
            with os.fdopen(fd, "wb", closefd=False) as f:
                if isinstance(data, (bytes, bytearray, memoryview)):
                    f.write(data)
                else:
                    _copy(data, f)
                f.flush()
                os.fsync(fd)
        except BaseException:
            os.close(fd)
            tmp.unlink(missing_ok=True)
            raise
        os.close(fd)
        os.replace(tmp, path)
        _fsync_dir(path.parent)
    except OSError as e:
        # a full disk or a read-only file system: the old file is untouched
        raise RepositoryError(f"cannot write {path}: {e.strerror or e}",
                              hint="free disk space or fix permissions and retry; "
                                   "nothing already committed was changed") from None


class _OpenPacks:
    """One thread's open pack descriptors, most recent last; closed with the thread."""

    MAX = 8

    def __init__(self):
        self.fds: dict[str, int] = {}

    def drop(self, name: str) -> None:
        fd = self.fds.pop(name, None)
        if fd is not None:
            os.close(fd)

    def __del__(self):
        for fd in self.fds.values():
            os.close(fd)


class LocalBackend:
    """Named immutable files in a directory tree."""

    def __init__(self, root: Path):
        self.root = Path(root)
        self.root.mkdir(parents=True, exist_ok=True)
        # packs are named by their hash, so an open descriptor keeps reading the
        # right bytes: reading a file's chunks (several per delta chain) then
        # costs a pread each, not an open, a pread and a close.  Per thread, so
        # no thread closes a descriptor another is reading.
        import threading        # not at module level: `status` never opens packs
        self._open = threading.local()

    def _packs(self) -> _OpenPacks:
        packs = getattr(self._open, "packs", None)
        if packs is None:
            packs = self._open.packs = _OpenPacks()
        return packs

    def _fd(self, name: str) -> tuple[int, bool]:
        """(descriptor, keep it open?) for reading ``name``."""
        if not name.startswith("packs/"):
            return os.open(self._path(name), os.O_RDONLY), False
        packs = self._packs()
        fd = packs.fds.pop(name, None)
        if fd is None:
            fd = os.open(self._path(name), os.O_RDONLY)
            if len(packs.fds) >= packs.MAX:
                packs.drop(next(iter(packs.fds)))
        packs.fds[name] = fd
        return fd, True

    def _path(self, name: str) -> Path:
        parts = name.split("/")
        if not name or name.startswith("/") or any(p in ("", ".", "..") for p in parts):
            raise BadInput(f"invalid backend file name {name!r}")
        return self.root.joinpath(*parts)

    def put(self, name: str, data) -> None:
        self._packs().drop(name)
        atomic_write(self._path(name), data)

    def get(self, name: str, offset: int = 0, length: int | None = None) -> bytes:
        # os.pread on a bare descriptor: a delta base or a clone's object is one
        # ranged read, and a buffered file object per read costs more than the read
        try:
            fd, keep = self._fd(name)
        except FileNotFoundError:
            raise _missing(name) from None
        try:
            if length is None:
                length = max(os.fstat(fd).st_size - offset, 0)
            parts, done = [], 0
            while done < length:
                part = os.pread(fd, length - done, offset + done)
                if not part:        # end of file: the caller sees a short read
                    break
                parts.append(part)
                done += len(part)
            return parts[0] if len(parts) == 1 else b"".join(parts)
        finally:
            if not keep:
                os.close(fd)

    def open(self, name: str) -> BinaryIO:
        try:
            return open(self._path(name), "rb")
        except FileNotFoundError:
            raise _missing(name) from None

    def size(self, name: str) -> int:
        try:
            return self._path(name).stat().st_size
        except FileNotFoundError:
            raise _missing(name) from None

    def exists(self, name: str) -> bool:
        return self._path(name).is_file()

    def list(self, prefix: str = "") -> Iterator[str]:
        names = []
        for dirpath, _dirs, files in os.walk(self.root):
            rel = Path(dirpath).relative_to(self.root).as_posix()
            for f in files:
                if f.startswith("."):
                    continue    # temp files of writers in flight
                name = f if rel == "." else f"{rel}/{f}"
                if name.startswith(prefix):
                    names.append(name)
        return iter(sorted(names))

    def delete(self, name: str) -> None:
        self._packs().drop(name)
        self._path(name).unlink(missing_ok=True)


def _missing(name: str) -> MissingPack:
    return MissingPack(f"{name} is missing from the object store",
                       hint="run `ldv fsck`; fetch it again from a remote if you have one")


def read_all(data) -> bytes:
    """bytes of a bytes-like or a binary stream (for backends that buffer)."""
    if isinstance(data, (bytes, bytearray, memoryview)):
        return bytes(data)
    buf = io.BytesIO()
    _copy(data, buf)
    return buf.getvalue()


def _copy(src, dst) -> None:
    import shutil               # only writers of streams need it: not at start-up
    shutil.copyfileobj(src, dst, _COPY_BUF)
