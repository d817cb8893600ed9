"""Commit history: walking the DAG newest first, filtering by path, and a text graph.

Order is Git's default: a priority queue on committer time (ties broken by
insertion order), each commit shown once.  With paths, a commit is shown when
one of the paths differs from every parent (Git's default simplification, with
merges kept only when they changed the path against all parents).
"""
from __future__ import annotations

import heapq
from dataclasses import dataclass
from typing import Iterator

from ldv.plumbing.errors import ObjectNotFound
from ldv.plumbing.objects import Commit, read_commit
from ldv.plumbing.trees import lookup


@dataclass
class LogEntry:
    oid: bytes
    commit: Commit

    @property
    def oid_hex(self) -> str:
        return self.oid.hex()

    @property
    def summary(self) -> str:
        return self.commit.message.split("\n", 1)[0]

    @property
    def parents(self) -> list[bytes]:
        return self.commit.parents


def walk(repo, starts: list[bytes], *, max_count: int | None = None,
         paths: list[str] | None = None, first_parent: bool = False) -> Iterator[LogEntry]:
    """Yield commits reachable from ``starts``, newest first."""
    if max_count is not None and max_count <= 0:
        return
    odb = repo.odb
    seen: set[bytes] = set()
    heap: list = []
    counter = 0

    def push(oid: bytes, *, boundary_ok: bool = False) -> None:
        nonlocal counter
        if oid in seen:
            return
        seen.add(oid)
        try:
            c = read_commit(odb, oid)
        except ObjectNotFound:
            if boundary_ok:     # a shallow clone's history ends here (`clone --depth`)
                return
            raise
        heapq.heappush(heap, (-c.commit_time, counter, oid, c))
        counter += 1

    for s in starts:
        push(s)
    shown = 0
    while heap:
        _, _, oid, c = heapq.heappop(heap)
        for p in c.parents[:1] if first_parent else c.parents:
            push(p, boundary_ok=True)
        if paths and not touches(repo, c, paths):
            continue
        yield LogEntry(oid, c)
        shown += 1
        if max_count is not None and shown >= max_count:
            return


def touches(repo, c: Commit, paths: list[str]) -> bool:
    """True when one of ``paths`` differs between ``c`` and each of its parents."""
    mine = _entries(repo, c.tree, paths)
    parents = [p for p in c.parents if repo.odb.has(p)]     # shallow clones lack some
    if not parents:
        return any(e is not None for e in mine)
    for p in parents:
        theirs = _entries(repo, read_commit(repo.odb, p).tree, paths)
        if theirs == mine:
            return False
    return True


def _entries(repo, tree: bytes, paths: list[str]):
    out = []
    for path in paths:
        path = path.strip("/")
        if not path or path == ".":
            out.append(tree)
            continue
        e = lookup(repo.odb, tree, path)
        out.append(None if e is None else (e.mode, e.oid))
    return out


# -- the text graph (``--graph``) ------------------------------------------------

class Graph:
    """Draws Git-like ``* | \\ /`` lanes, one commit at a time.

    ``lanes`` holds, per column, the id of the commit that column waits for.
    """

    def __init__(self):
        self.lanes: list[bytes] = []

    def lines(self, oid: bytes, parents: list[bytes]) -> tuple[list[str], str, list[str]]:
        """(rows before the commit, the commit's row, rows after it)."""
        before: list[str] = []
        if oid not in self.lanes:
            self.lanes.append(oid)
        col = self.lanes.index(oid)
        dups = {i for i, x in enumerate(self.lanes) if x == oid and i != col}
        if dups:
            # Lanes that waited for the same commit join into its column first.
            before.append(_draw(len(self.lanes), {i: "|" for i in range(len(self.lanes))
                                                  if i not in dups}, {i: "/" for i in dups}))
            self.lanes = [x for i, x in enumerate(self.lanes) if i not in dups]
        row = _draw(len(self.lanes), {i: ("*" if i == col else "|")
                                      for i in range(len(self.lanes))}, {})
        after: list[str] = []
        if not parents:
            del self.lanes[col]
            return before, row, after
        self.lanes[col] = parents[0]
        extra = [p for p in parents[1:] if p not in self.lanes]
        if extra:
            self.lanes[col + 1:col + 1] = extra
            new = set(range(col + 1, col + 1 + len(extra)))
            after.append(_draw(len(self.lanes), {i: "|" for i in range(len(self.lanes))
                                                 if i not in new}, {i: "\\" for i in new}))
        return before, row, after


def _draw(n: int, at_lane: dict[int, str], in_gap: dict[int, str]) -> str:
    """Lane k sits at column 2k; a slanted edge into lane k sits at 2k - 1."""
    cells = [" "] * (2 * n)
    for k, ch in at_lane.items():
        cells[2 * k] = ch
    for k, ch in in_gap.items():
        cells[max(0, 2 * k - 1)] = ch
    return "".join(cells).rstrip()
