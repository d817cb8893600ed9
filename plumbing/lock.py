"""Writer locks: an flock on a file under .ldv/locks that names its holder.

flock, not O_EXCL files: the kernel drops it when the holder dies, so a crash
never leaves a stale lock behind.  The pid written into the file only serves the
error message.
"""
from __future__ import annotations

import fcntl
import os
import time
from pathlib import Path

from .errors import RepositoryLocked

_POLL = 0.02


class Lock:
    """A context manager holding an exclusive lock on ``path``."""

    def __init__(self, path: Path, timeout: float = 0, what: str = "repository"):
        self.path = Path(path)
        self.timeout = timeout
        self.what = what
        self._fd: int | None = None

    def acquire(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        deadline = time.monotonic() + max(self.timeout, 0)
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    holder = _read_holder(fd)
                    os.close(fd)
                    raise RepositoryLocked(
                        f"{self.what} is locked by {holder}",
                        hint="wait for that process to finish and retry") from None
                time.sleep(_POLL)
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        self._fd = fd

    def release(self) -> None:
        if self._fd is not None:
            os.ftruncate(self._fd, 0)
            fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = None

    def __enter__(self) -> "Lock":
        self.acquire()
        return self

    def __exit__(self, *exc) -> None:
        self.release()


def _read_holder(fd: int) -> str:
    text = os.pread(fd, 32, 0).decode(errors="replace").strip()
    return f"pid {text}" if text.isdigit() else "another process"
