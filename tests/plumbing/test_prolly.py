"""The content-defined node builder: lossless, deterministic, local under edits."""
from __future__ import annotations

import hashlib

from hypothesis import given, settings, strategies as st

from ldv.plumbing.prolly import MAX_ENTRIES, TreeBuilder, is_boundary_hash


def h(x) -> bytes:
    return hashlib.blake2b(repr(x).encode(), digest_size=32).digest()


def build(items: list) -> tuple[int, list, set]:
    """Build over hash-like items; return (height, root entries, every node written)."""
    nodes: set = set()

    def emit(level, entries):
        node = (level, tuple(entries))
        nodes.add(node)
        return h(node)
    tb = TreeBuilder(lambda level, e: is_boundary_hash(e), emit)
    for x in items:
        tb.add(x)
    height, top = tb.finish()
    return height, top, nodes


def flatten(height: int, top: list, nodes: set) -> list:
    by_id = {h(n): n for n in nodes}
    out = list(top)
    for level in range(height - 1, -1, -1):
        assert all(by_id[oid][0] == level for oid in out)
        out = [e for oid in out for e in by_id[oid][1]]
    return out


items_st = st.lists(st.integers(0, 10**9).map(h), max_size=2000)


@settings(max_examples=30, deadline=None)
@given(items_st)
def test_nodes_flatten_back_to_the_entries(items):
    height, top, nodes = build(items)
    assert flatten(height, top, nodes) == items
    assert build(items)[:2] == (height, top)          # deterministic
    assert all(len(n[1]) <= MAX_ENTRIES for n in nodes)


@settings(max_examples=30, deadline=None)
@given(items_st.filter(lambda x: len(x) > 200), st.data())
def test_one_edit_writes_one_node_per_level(items, data):
    height, _, nodes = build(items)
    i = data.draw(st.integers(0, len(items) - 1))
    edited = list(items)
    edited[i] = h(("edited", i))
    h2, _, nodes2 = build(edited)
    assert len(nodes2 - nodes) <= 2 * (max(height, h2) + 1)


def test_runs_of_one_entry_split_at_the_cap():
    same = h("zeros")
    while is_boundary_hash(same):
        same = h(same)
    height, top, nodes = build([same] * (3 * MAX_ENTRIES + 5))
    assert height == 1 and len(top) == 4
    assert len(nodes) == 2      # one full node, reused three times, and the tail
