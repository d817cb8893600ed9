"""Content-defined trees of entry lists (prolly trees), shared by blobs and trees.

A long list of entries (a large file's chunks, a large directory's names) is cut
into nodes where an entry's hash says so, not at fixed counts; the nodes' own
entries are cut the same way one level up, until one level fits in the root.
Because a cut depends only on the entry before it, editing one entry changes one
node per level: O(log n) new objects, and unchanged nodes keep their ids.

Glossary:
  level     0 holds the caller's entries; level k+1 holds one entry per node of level k.
  boundary  an entry that ends its node (hash below 2**32 / FANOUT).
  height    the level of the root's entries; 0 when everything fits in the root.
"""
from __future__ import annotations

from typing import Callable, Generic, TypeVar

E = TypeVar("E")

FANOUT = 64            # average entries per node
MAX_ENTRIES = 1024     # hard cap, so runs of identical entries still split
_THRESHOLD = (1 << 32) // FANOUT


def is_boundary_hash(h: bytes) -> bool:
    """True when a (uniformly random) hash marks an entry as a node's last one."""
    return int.from_bytes(h[:4], "little") < _THRESHOLD


class TreeBuilder(Generic[E]):
    """Streams entries in order and groups them into nodes, level by level.

    ``boundary(level, entry)`` decides cuts; ``emit(level, entries)`` stores one
    node whose entries are at ``level`` and returns its entry for ``level + 1``.
    """

    def __init__(self, boundary: Callable[[int, E], bool],
                 emit: Callable[[int, list], E]):
        self._boundary = boundary
        self._emit = emit
        self._levels: list[list] = [[]]
        self._emitted: list[bool] = [False]

    def add(self, entry: E, level: int = 0) -> None:
        while True:
            pending = self._levels[level]
            pending.append(entry)
            if not (self._boundary(level, entry) or len(pending) >= MAX_ENTRIES):
                return
            entry = self._close(level)
            level += 1

    def _close(self, level: int) -> E:
        entries = self._levels[level]
        self._levels[level] = []
        self._emitted[level] = True
        if level + 1 == len(self._levels):
            self._levels.append([])
            self._emitted.append(False)
        return self._emit(level, entries)

    def finish(self) -> tuple[int, list]:
        """Close pending nodes; return (height, the root's entries)."""
        level = 0
        while True:
            if not self._emitted[level]:
                return level, self._levels[level]
            if self._levels[level]:
                parent = self._close(level)
                self._levels[level + 1].append(parent)
            level += 1
