"""Commit history: walking the DAG newest first, filtering by path, and a text graph.

Order is Git's default: a priority queue on committer time (ties broken by
insertion order), each commit shown once.  With paths, Git's default history
simplification: a commit is shown when the paths differ from every parent, and
a merge that kept one parent's version is followed into that parent only.
"""
from __future__ import annotations

import heapq
from dataclasses import dataclass
from typing import Iterator

from ldv.plumbing.errors import LdvError, ObjectNotFound
from ldv.plumbing.objects import Commit, read_commit
from ldv.plumbing.shallow import read_shallow
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
    shallow = read_shallow(repo)    # `clone --depth`: history ends at these commits

    def push(oid: bytes, *, child: Commit | None = None) -> None:
        nonlocal counter
        if oid in seen:
            return
        seen.add(oid)
        try:
            c = read_commit(odb, oid)
        except ObjectNotFound:
            if child is not None:   # a shallow clone's history ends here (`clone --depth`)
                return
            raise
        except LdvError as e:
            if child is None:
                raise
            # A damaged parent: show every readable commit newer than the child
            # first, as `git log` prints what it can before the error.
            heapq.heappush(heap, (-child.commit_time, counter, oid, e))
            counter += 1
            return
        heapq.heappush(heap, (-c.commit_time, counter, oid, c))
        counter += 1

    for s in starts:
        push(s)
    shown = 0
    while heap:
        _, _, oid, c = heapq.heappop(heap)
        if isinstance(c, LdvError):
            raise c
        parents = c.parents[:1] if first_parent else c.parents
        show = True
        if paths:
            show, parents = simplify(repo, c, parents, paths)
        for p in () if oid in shallow else parents:
            push(p, child=c)
        if not show:
            continue
        yield LogEntry(oid, c)
        shown += 1
        if max_count is not None and shown >= max_count:
            return


def simplify(repo, c: Commit, parents: list[bytes],
             paths: list[str]) -> tuple[bool, list[bytes]]:
    """Git's default history simplification: (show ``c``?, parents to follow).

    A commit is TREESAME to a parent when ``paths`` are identical in both.  It is
    shown when it is TREESAME to none of its parents; when it is TREESAME to
    one, the walk follows that parent only, so a side branch whose changes a
    merge did not keep is not shown (as `git log -- PATH` does).
    """
    mine = _entries(repo, c.tree, paths)
    present = [p for p in parents if repo.odb.has(p)]       # shallow clones lack some
    if not present:
        return any(e is not None for e in mine), present
    for p in present:
        if _entries(repo, read_commit(repo.odb, p).tree, paths) == mine:
            return False, [p]
    return True, present


def touches(repo, c: Commit, paths: list[str]) -> bool:
    """True when one of ``paths`` differs between ``c`` and each of its parents."""
    return simplify(repo, c, c.parents, paths)[0]


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
    """Draws Git's ``--graph`` lanes (``* | \\ /``), one commit at a time.

    ``lanes`` holds, per column, the id of the commit that column waits for.
    Lines are padded to the lanes' width as Git pads them; the commit's row is
    padded so that its text starts after the widest of the lanes around it.
    """

    def __init__(self):
        self.lanes: list[bytes] = []
        self._post_merge_col: int | None = None   # the last row drawn was "|\\" below it
        self._slid: set[int] = set()              # lanes the last row slid left ("/")

    def lines(self, oid: bytes, parents: list[bytes]) -> tuple[list[str], str, list[str]]:
        """(rows before the commit, the commit's row prefix, rows after it)."""
        before: list[str] = []
        if oid not in self.lanes:
            self.lanes.append(oid)
        dups = {i for i, x in enumerate(self.lanes) if x == oid and i != self.lanes.index(oid)}
        if dups:
            # Lanes that waited for the same commit join into its column first.
            before.append(self._collapse(dups))
        col = self.lanes.index(oid)
        n_row = len(self.lanes)
        if not parents:
            row = self._row(col, {})
            self._post_merge_col, self._slid = None, set()
            del self.lanes[col]
            return before, row.ljust(2 * n_row), []
        new = [p for p in parents[1:] if p not in self.lanes and p != parents[0]]
        row = self._row(col, self._special(col, parents, new, fresh=not before))
        joins = [self.lanes.index(p) for p in parents[1:]
                 if p in self.lanes and p != parents[0] and p != oid]
        self.lanes[col] = parents[0]
        self.lanes[col + 1:col + 1] = new
        after = self._after(col, parents[0], new, joins)
        return before, row.ljust(2 * max(n_row, len(self.lanes))), after

    def _special(self, col: int, parents: list[bytes], new: list, fresh: bool) -> dict:
        """Lanes right of the commit that Git draws other than "|" in its row.

        After another merge's "|\\" row, a merge that opens lanes draws the lanes
        it pushes over as "\\"; a lane still sliding left from the row above is
        drawn "/" when this commit makes it slide again (graph.c's rules).
        """
        prev, slid = self._post_merge_col, self._slid
        self._post_merge_col, self._slid = None, set()
        if new:
            if prev is None or not fresh:
                return {}
            return {i: "\\" for i in range(col + 1, len(self.lanes)) if i > prev}
        return {i: "/" for i in slid if i > col and self.lanes[i] == parents[0]}

    def _row(self, col: int, special: dict) -> str:
        n = len(self.lanes)
        return _draw(n, {i: "*" if i == col else special.get(i, "|") for i in range(n)}, {})

    def _after(self, col: int, first: bytes, new: list, joins: list[int]) -> list[str]:
        """The row under a commit: a merge's edges, or its lane joining a twin."""
        n = len(self.lanes)
        if new:
            gaps = {i: "\\" for i in range(col + 1, n)}
            at = {i: "|" for i in range(col + 1)}
        else:
            gaps = {i: "\\" for i in joins if i > col}
            at = {i: "|" for i in range(n) if i not in gaps or i in joins}
        if gaps:
            self._post_merge_col = col
            return [_draw(n, at, gaps).ljust(2 * n)]
        twins = [i for i, x in enumerate(self.lanes) if x == first and i != col]
        if twins:
            # The first parent is awaited in another lane too: Git joins the
            # two right away, the right one sliding into the left one.
            return [self._collapse({max(col, twins[0])})]
        return []

    def _collapse(self, gone: set[int]) -> str:
        """Remove lanes ``gone``, drawing them and every lane right of them as
        sliding one column left ("/")."""
        n = len(self.lanes)
        first = min(gone)
        line = _draw(n, {i: "|" for i in range(first)},
                     {i: "/" for i in range(first, n)})
        self.lanes = [x for i, x in enumerate(self.lanes) if i not in gone]
        self._slid = set(range(max(0, first - 1), len(self.lanes)))
        return line.ljust(2 * n)


def _draw(n: int, at_lane: dict[int, str], in_gap: dict[int, str]) -> str:
    """Lane k sits at column 2k; a slanted edge into lane k sits at 2k - 1."""
    cells = [" "] * (2 * n)
    for k, ch in at_lane.items():
        cells[2 * k] = ch
    for k, ch in in_gap.items():
        cells[max(0, 2 * k - 1)] = ch
    return "".join(cells).rstrip()


def topo_order(entries: list[LogEntry]) -> list[LogEntry]:
    """Git's ``--topo-order`` (what ``--graph`` uses): no parent before all its
    children, and one line of history at a time (a stack, first parent last)."""
    by_id = {e.oid: e for e in entries}
    indegree = dict.fromkeys(by_id, 0)
    for e in entries:
        for p in e.parents:
            if p in indegree:
                indegree[p] += 1
    stack = [e.oid for e in entries if indegree[e.oid] == 0][::-1]
    out = []
    while stack:
        e = by_id[stack.pop()]
        for p in e.parents:
            if p in indegree:
                indegree[p] -= 1
                if indegree[p] == 0:
                    stack.append(p)
        out.append(e)
    return out
