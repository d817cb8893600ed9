"""Merge bases: the best common ancestors of two commits, and the virtual base
that Git's ort (and recursive) strategy builds when there are several.

A common ancestor is *best* when no other common ancestor descends from it.  In
a criss-cross history there are two or more; the base of the three-way merge is
then a *virtual* commit made by merging the best bases pairwise (recursively,
with their own merge bases), conflicts and all: the conflicted files keep their
markers, a binary conflict keeps the base's version.  Virtual commits, their
trees and blobs live in a scratch in-memory database over the repository's and
are never stored.

The walk is Git's paint-down by committer time: it reads the commits newer than
the merge bases (plus, only when there are several candidates, their ancestry to
drop redundant ones).  Like Git without generation numbers it trusts committer
times to grow along history; a clock that ran backwards can only add candidates,
which the redundancy check then removes.
"""
from __future__ import annotations

import heapq
from collections import deque

from ldv.plumbing.index import Entry, Index
from ldv.plumbing.objects import Commit, read_commit, write_commit
from ldv.plumbing.odb import MemoryObjectDatabase
from ldv.plumbing.trees import walk

from .merge import Labels
from .status import LayeredODB
from .treemerge import TreeMerger, attributes_of

MAX_DEPTH = 8     # ort recurses without limit; past this, one base is chosen


def ancestors(odb, start: bytes) -> set[bytes]:
    """``start`` and every commit reachable from it."""
    seen, todo = {start}, deque([start])
    while todo:
        for p in read_commit(odb, todo.popleft()).parents:
            if p not in seen:
                seen.add(p)
                todo.append(p)
    return seen


def merge_bases(odb, a: bytes, b: bytes) -> list[bytes]:
    """The best common ancestors of ``a`` and ``b``, oldest committer time first.

    Git's paint-down: walk both histories newest first, painting each commit with
    the side(s) it is reachable from; a commit painted by both is a common ancestor
    and its own ancestors are painted stale; the walk stops once only stale commits
    are left, so it reads the history back to the bases, not to the root.
    """
    if a == b:
        return [a]
    times: dict[bytes, int] = {}
    found = _paint_down(odb, a, b, times)
    if len(found) > 1:
        found = _remove_redundant(odb, found)
    return sorted(found, key=lambda c: (times[c], c))


_A, _B, _STALE = 1, 2, 4


def _paint_down(odb, a: bytes, b: bytes, times: dict) -> list[bytes]:
    paint: dict[bytes, int] = {a: _A, b: _B}
    heap: list = []
    seq = 0

    def push(oid: bytes) -> None:
        nonlocal seq
        if oid not in times:
            times[oid] = read_commit(odb, oid).commit_time
        seq += 1
        heapq.heappush(heap, (-times[oid], seq, oid))

    push(a)
    push(b)
    found: list[bytes] = []
    while any(not paint[o] & _STALE for _, _, o in heap):   # as Git's queue_has_nonstale
        oid = heapq.heappop(heap)[2]
        flags = paint[oid]
        if flags & (_A | _B) == (_A | _B) and not flags & _STALE:
            if oid not in found:
                found.append(oid)
            flags |= _STALE
        for p in read_commit(odb, oid).parents:
            if paint.get(p, 0) & flags != flags:
                paint[p] = paint.get(p, 0) | flags
                push(p)
    return found


def ahead_behind(odb, a: bytes, b: bytes) -> tuple[int, int]:
    """(commits reachable from ``a`` but not ``b``, the reverse), as `git status`
    counts a branch against its upstream.

    A paint-down, newest first: each commit gets the side(s) it is reachable
    from, and a commit that gains a side after it was expanded is expanded
    again.  The walk stops when every commit still queued is reachable from both
    and cannot be a descendant of a commit painted one side only (it is older
    than all of those: commit times do not decrease from parent to child, as
    Git's walks assume).  Commits of one second (scripts) are not ordered by
    time, so for them the walk goes on through that second."""
    if a == b:
        return 0, 0
    paint: dict[bytes, int] = {a: _A, b: _B}
    expanded: dict[bytes, int] = {}
    keys: dict[bytes, tuple[int, int]] = {}
    parents: dict[bytes, list[bytes]] = {}
    heap: list = []

    def push(oid: bytes) -> None:
        key = keys.get(oid)
        if key is None:   # first found: its place in the walk, kept for good
            c = read_commit(odb, oid)
            key = keys[oid] = (-c.commit_time, len(keys))
            parents[oid] = c.parents
        heapq.heappush(heap, (key, oid))

    def pending(oid: bytes, oldest_single: int) -> bool:
        done = expanded.get(oid)
        if paint[oid] != _A | _B or (done is not None and done != paint[oid]):
            return True
        return done is None and -keys[oid][0] >= oldest_single

    def done() -> bool:
        singles = [-keys[o][0] for o, f in paint.items() if f != _A | _B]
        oldest_single = min(singles, default=float("inf"))
        return not any(pending(o, oldest_single) for _, o in heap)

    push(a)
    push(b)
    pops, check_at = 0, 0
    while heap:
        # The stop test scans what was painted: after every pop while the walk is
        # short, then at doubling intervals (walking on only adds right paint),
        # so a long walk costs O(n log n), not O(n^2).
        if pops >= check_at:
            if done():
                break
            check_at = pops + 1 if pops < 64 else 2 * pops
        pops += 1
        oid = heapq.heappop(heap)[1]
        flags = paint[oid]
        if expanded.get(oid) == flags:
            continue            # a duplicate: nothing new to hand down
        expanded[oid] = flags
        for p in parents[oid]:
            if paint.get(p, 0) & flags != flags:
                paint[p] = paint.get(p, 0) | flags
                push(p)
    return (sum(1 for f in paint.values() if f == _A),
            sum(1 for f in paint.values() if f == _B))


def _remove_redundant(odb, found: list[bytes]) -> list[bytes]:
    """Drop candidates that another candidate descends from (rare: criss-cross,
    or clocks that ran backwards)."""
    reach = {c: ancestors(odb, c) for c in found}
    return [c for c in found if not any(c != o and c in reach[o] for o in found)]


def scratch_odb(repo_odb) -> LayeredODB:
    """Reads fall through to the repository; writes stay in memory."""
    mem = MemoryObjectDatabase()
    mem.hasher = repo_odb.hasher
    return LayeredODB(mem, repo_odb)


def base_tree(odb, chunker, a: bytes, b: bytes, depth: int = 0,
              bases: list[bytes] | None = None) -> tuple[bytes | None, int]:
    """The tree to merge ``a`` and ``b`` against, and how many bases there were.

    ``odb`` must accept writes (a scratch_odb); virtual commits are written there.
    """
    if bases is None:
        bases = merge_bases(odb, a, b)
    if not bases:
        return None, 0
    if len(bases) == 1 or depth >= MAX_DEPTH:
        return read_commit(odb, bases[-1]).tree, len(bases)
    virtual = bases[0]
    for i, nxt in enumerate(bases[1:], 1):
        virtual = _virtual_commit(odb, chunker, virtual, nxt, depth, i)
    return read_commit(odb, virtual).tree, len(bases)


def _virtual_commit(odb, chunker, x: bytes, y: bytes, depth: int, i: int) -> bytes:
    """Merge commits ``x`` and ``y`` into a virtual commit (conflicts kept)."""
    tree, _ = base_tree(odb, chunker, x, y, depth + 1)
    cx, cy = read_commit(odb, x), read_commit(odb, y)
    files = dict(walk(odb, cx.tree))
    labels = Labels("Temporary merge branch 1", "merged common ancestors",
                    "Temporary merge branch 2")
    tm = TreeMerger(odb, chunker, attributes_of(odb, files), labels,
                    inner=True).merge(tree, cx.tree, cy.tree)
    index = Index()
    for p, e in files.items():
        index.entries[p] = Entry(p, e.mode, e.oid, e.size)
    for p, s in tm.changed.items():
        if s is None:
            index.entries.pop(p, None)
        else:
            index.entries[p] = Entry(p, *s)
    merged = index.write_tree(odb)
    when = max(cx.commit_time, cy.commit_time)
    return write_commit(odb, Commit(merged, [x, y], "ldv <virtual>", when, 0,
                                    "ldv <virtual>", when, 0, f"virtual merge base {i}\n"))
