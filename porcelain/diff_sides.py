"""The three things ``diff`` compares, behind one small interface.

A side lists its files as ``{path: Entry(mode, oid, size)}`` and reads a file's
bytes on demand.  The working tree lists the index's tracked paths (as ``git
diff`` does) and gives an id only when the stat cache vouches for the file;
otherwise diff compares bytes.
"""
from __future__ import annotations

import os
from abc import ABC, abstractmethod

from ldv.plumbing.blobs import open_blob
from ldv.plumbing.index import mode_of
from ldv.plumbing.trees import walk


class Side(ABC):
    @abstractmethod
    def entries(self) -> dict:
        """{path: Entry(mode, oid, size)} of every file on this side."""

    @abstractmethod
    def read(self, path: str) -> bytes:
        """The bytes of ``path`` on this side."""

    def oid(self, path: str) -> bytes | None:
        """The blob id of ``path`` when it can be had without reading it whole."""
        return self.entries()[path].oid


def read_blob(odb, oid: bytes) -> bytes:
    with open_blob(odb, oid) as f:
        return f.read()


class TreeSide(Side):
    """A commit's tree (None: the empty tree before the first commit)."""

    def __init__(self, repo, tree: bytes | None):
        self.repo, self.tree = repo, tree
        self._entries = None

    def entries(self) -> dict:
        from .diff import Entry
        if self._entries is None:
            self._entries = {} if self.tree is None else {
                p: Entry(e.mode, e.oid, e.size) for p, e in walk(self.repo.odb, self.tree)}
        return self._entries

    def read(self, path: str) -> bytes:
        e = self.entries()[path]
        return read_blob(self.repo.odb, e.oid)


class IndexSide(Side):
    """The staging area."""

    def __init__(self, workspace, index=None):
        self.workspace = workspace
        # read once: the property decrypts and parses the file on every access
        self.index = workspace.index if index is None else index
        self._entries = None

    def entries(self) -> dict:
        from .diff import Entry
        if self._entries is None:
            self._entries = {e.path: Entry(e.mode, e.oid, e.size) for e in self.index}
        return self._entries

    def read(self, path: str) -> bytes:
        return read_blob(self.workspace.repo.odb, self.index.get(path).oid)


class WorktreeSide(Side):
    """The files on disk at the index's tracked paths."""

    def __init__(self, workspace, index=None):
        self.workspace = workspace
        self.root = str(workspace.repo.root)
        self.index = workspace.index if index is None else index
        self._entries = None

    def entries(self) -> dict:
        if self._entries is None:
            self._entries = self._scan()
        return self._entries

    def _scan(self) -> dict:
        from .diff import Entry
        out = {}
        for e in self.index:
            try:
                st = os.lstat(os.path.join(self.root, e.path))
            except (FileNotFoundError, NotADirectoryError):
                continue
            mode = mode_of(st)
            if mode is None:
                continue
            oid = e.oid if e.stat_matches(st) else None
            out[e.path] = Entry(mode, oid, st.st_size)
        return out

    def oid(self, path: str) -> bytes | None:
        """Hash the file as ``add`` would (streaming, nothing stored)."""
        e = self.entries().get(path)
        if e is None or e.oid is not None:
            return None if e is None else e.oid
        st = os.lstat(os.path.join(self.root, path))
        return self.workspace.hash_file(path, st)

    def read(self, path: str) -> bytes:
        full = os.path.join(self.root, path)
        if os.path.islink(full):
            return os.fsencode(os.readlink(full))
        with open(full, "rb") as f:
            return f.read()


__all__ = ["Side", "TreeSide", "IndexSide", "WorktreeSide", "read_blob"]
