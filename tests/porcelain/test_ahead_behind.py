"""mergebase.ahead_behind (what `ldv status` says against origin/BRANCH) equals
the exact set difference of the two histories on random commit graphs, with
commit times that tie often (commits made by scripts in the same second)."""
from __future__ import annotations

import random

from hypothesis import given, settings
from hypothesis import strategies as st

from ldv.plumbing.objects import Commit, write_commit
from ldv.plumbing.odb import MemoryObjectDatabase
from ldv.porcelain.mergebase import ahead_behind, ancestors

TREE = bytes(32)


def _graph(seed: int, n: int):
    """``n`` commits; each has 1-2 earlier parents (the first has none) and a
    time no older than its parents', ties common."""
    rnd = random.Random(seed)
    odb = MemoryObjectDatabase()
    oids, times = [], []
    for i in range(n):
        parents = sorted(set(rnd.sample(range(i), min(i, rnd.choice((1, 1, 1, 2)))))) \
            if i else []
        t = max([times[p] for p in parents], default=1_700_000_000) + rnd.choice((0, 0, 1))
        c = Commit(TREE, [oids[p] for p in parents], "a <a@x>", t, 0, "a <a@x>", t, 0,
                   f"c{i}")
        oids.append(write_commit(odb, c))
        times.append(t)
    return odb, oids


@settings(max_examples=60, deadline=None)
@given(st.integers(0, 10**9), st.integers(2, 40), st.data())
def test_counts_equal_the_set_difference(seed, n, data):
    odb, oids = _graph(seed, n)
    a = data.draw(st.sampled_from(oids))
    b = data.draw(st.sampled_from(oids))
    ra, rb = ancestors(odb, a), ancestors(odb, b)
    assert ahead_behind(odb, a, b) == (len(ra - rb), len(rb - ra))


def test_the_walk_reads_back_to_the_fork_only():
    """With distinct times, a fork 3 and 2 commits deep off a 200-commit history
    reads those commits and the fork point's neighbourhood, not the history."""
    odb = MemoryObjectDatabase()
    t = 1_700_000_000

    def commit(parents, i):
        return write_commit(odb, Commit(TREE, parents, "a <a@x>", t + i, 0, "a <a@x>",
                                        t + i, 0, f"c{i}"))
    tip = commit([], 0)
    for i in range(1, 200):
        tip = commit([tip], i)
    fork, a, b = tip, tip, tip
    for i in range(3):
        a = commit([a], 300 + i)
    for i in range(2):
        b = commit([b], 400 + i)
    reads = []
    real = odb.get
    odb.get = lambda oid: (reads.append(oid), real(oid))[1]
    assert ahead_behind(odb, a, b) == (3, 2)
    assert fork in reads and len(set(reads)) <= 8
