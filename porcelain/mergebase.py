"""Merge bases: the best common ancestors of two commits, and the virtual base
that Git's ort (and recursive) strategy builds when there are several.

A common ancestor is *best* when no other common ancestor descends from it.  In
a criss-cross history there are two or more; the base of the three-way merge is
then a *virtual* commit made by merging the best bases pairwise (recursively,
with their own merge bases), conflicts and all: the conflicted files keep their
markers, a binary conflict keeps the base's version.  Virtual commits, their
trees and blobs live in a scratch in-memory database over the repository's and
are never stored.

The walk reads every ancestor of both commits once (no generation numbers yet):
linear in the history, which for dataset repositories is thousands of commits.
"""
from __future__ import annotations

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
    """The best common ancestors of ``a`` and ``b``, oldest committer time first."""
    common = ancestors(odb, a) & ancestors(odb, b)
    # ``common`` is closed under parents, so the common ancestors that another
    # common ancestor reaches are exactly the parents of common ancestors.
    below = {p for c in common for p in read_commit(odb, c).parents}
    best = common - below
    return sorted(best, key=lambda c: (read_commit(odb, c).commit_time, c))


def scratch_odb(repo_odb) -> LayeredODB:
    """Reads fall through to the repository; writes stay in memory."""
    mem = MemoryObjectDatabase()
    mem.hasher = repo_odb.hasher
    return LayeredODB(mem, repo_odb)


def base_tree(odb, chunker, a: bytes, b: bytes, depth: int = 0) -> tuple[bytes | None, int]:
    """The tree to merge ``a`` and ``b`` against, and how many bases there were.

    ``odb`` must accept writes (a scratch_odb); virtual commits are written there.
    """
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
