"""Trees: canonical directories, nested builds, walks, lookups, diffs, large dirs."""
from __future__ import annotations

import pytest
from hypothesis import given, settings, strategies as st

from ldv.plumbing.errors import CorruptObject, InvalidPath, WrongObjectType
from ldv.plumbing.objects import MODE_DIR, MODE_EXEC, MODE_FILE, MODE_SYMLINK, TreeEntry
from ldv.plumbing.odb import MemoryObjectDatabase, ObjType
from ldv.plumbing.trees import (build_tree, decode_node, diff_trees, encode_node, lookup,
                                read_tree, walk, write_tree)

names = st.text(st.sampled_from("ab.-_/xyz"), min_size=1, max_size=6).filter(
    lambda s: all(p not in ("", ".", "..") for p in s.split("/")))


def oid_of(i: int) -> bytes:
    return i.to_bytes(4, "big") + bytes(28)


def files_from(paths: list[str]) -> dict:
    """Keep a prefix-free set (a path cannot be a file and a directory)."""
    out: dict = {}
    for i, p in enumerate(sorted(set(paths))):
        parts = p.split("/")
        if any("/".join(parts[:k]) in out for k in range(1, len(parts))):
            continue
        if any(q.startswith(p + "/") for q in out):
            continue
        out[p] = (MODE_EXEC if i % 3 == 0 else MODE_FILE, oid_of(i), i)
    return out


@settings(max_examples=50, deadline=None)
@given(st.lists(names, max_size=25))
def test_build_walk_lookup_round_trip(paths):
    files = files_from(paths)
    odb = MemoryObjectDatabase()
    root = build_tree(odb, files)
    walked = list(walk(odb, root))
    assert [p for p, _ in walked] == sorted(files)
    for path, e in walked:
        assert (e.mode, e.oid, e.size) == files[path]
        assert lookup(odb, root, path) == e
    # insertion order does not matter
    assert build_tree(odb, dict(reversed(list(files.items())))) == root


@settings(max_examples=50, deadline=None)
@given(st.lists(names, max_size=20), st.lists(names, max_size=20))
def test_diff_trees_matches_a_dict_diff(pa, pb):
    fa, fb = files_from(pa), files_from(pb)
    fb = {p: (m, oid_of(s + 1000), s) if s % 2 else (m, o, s) for p, (m, o, s) in fb.items()}
    odb = MemoryObjectDatabase()
    a, b = build_tree(odb, fa), build_tree(odb, fb)
    got = [(p, o and (o.mode, o.oid, o.size), n and (n.mode, n.oid, n.size))
           for p, o, n in diff_trees(odb, a, b)]
    want = [(p, fa.get(p), fb.get(p)) for p in sorted(set(fa) | set(fb)) if fa.get(p) != fb.get(p)]
    assert got == want
    assert list(diff_trees(odb, a, a)) == []
    assert [p for p, _, _ in diff_trees(odb, None, b)] == sorted(fb)


def test_git_order_and_directory_sizes():
    odb = MemoryObjectDatabase()
    root = build_tree(odb, {"a/x": (MODE_FILE, oid_of(1), 5), "a.txt": (MODE_FILE, oid_of(2), 7),
                            "a/y": (MODE_SYMLINK, oid_of(3), 3)})
    top = read_tree(odb, root)
    assert [t.name for t in top] == ["a.txt", "a"]
    assert top[1].mode == MODE_DIR and top[1].size == 8
    assert lookup(odb, root, "a") == top[1]
    assert lookup(odb, root, "a/z") is None
    assert lookup(odb, root, "a.txt/q") is None
    assert build_tree(odb, {}) == write_tree(odb, [])
    assert read_tree(odb, build_tree(odb, {})) == []


@pytest.mark.parametrize("bad", [{"a": (MODE_FILE, oid_of(1), 1), "a/b": (MODE_FILE, oid_of(1), 1)},
                                 {"/abs": (MODE_FILE, oid_of(1), 1)},
                                 {"a//b": (MODE_FILE, oid_of(1), 1)},
                                 {"a/../b": (MODE_FILE, oid_of(1), 1)}])
def test_bad_paths_are_rejected(bad):
    with pytest.raises(InvalidPath):
        build_tree(MemoryObjectDatabase(), bad)


def test_duplicate_names_and_bad_modes_are_rejected():
    odb = MemoryObjectDatabase()
    with pytest.raises(InvalidPath):
        write_tree(odb, [TreeEntry("a", MODE_FILE, oid_of(1), 1),
                         TreeEntry("a", MODE_DIR, oid_of(2), 1)])
    with pytest.raises(InvalidPath):
        write_tree(odb, [TreeEntry("a", 0o777, oid_of(1), 1)])


def test_unsorted_or_wrong_type_trees_are_errors():
    odb = MemoryObjectDatabase()
    raw = encode_node(0, [TreeEntry("b", MODE_FILE, oid_of(1), 1),
                          TreeEntry("a", MODE_FILE, oid_of(2), 1)])
    with pytest.raises(CorruptObject):
        decode_node(raw)
    oid = odb.put(ObjType.TREE, raw)
    with pytest.raises(CorruptObject):
        read_tree(odb, oid)
    blob_like = odb.put(ObjType.CHUNK, b"hello")
    with pytest.raises(WrongObjectType):
        read_tree(odb, blob_like)


def big_dir(n: int, changed: int | None = None) -> list[TreeEntry]:
    return [TreeEntry(f"f{i:07d}", MODE_FILE, oid_of(i + (10**8 if i == changed else 0)), i)
            for i in range(n)]


def test_large_directory_rewrites_log_n_nodes():
    n = 100_000
    odb = MemoryObjectDatabase()
    root = write_tree(odb, big_dir(n))
    h, top = decode_node(odb.get(root)[1])
    assert h >= 2                      # really split into TREENODEs
    nodes = sum(1 for i in odb.iter_ids() if odb.get(i)[0] == ObjType.TREENODE)
    before = set(odb.iter_ids())
    root2 = write_tree(odb, big_dir(n, changed=54_321))
    new = set(odb.iter_ids()) - before
    assert root2 != root and root2 in new
    # one node per level (plus a neighbour when the edit moved a boundary)
    assert len(new) <= 2 * (h + 1)
    assert nodes > n // 200
    assert lookup(odb, root2, "f0054321").oid == oid_of(54_321 + 10**8)
    assert lookup(odb, root2, "f0099999").size == 99_999
    assert lookup(odb, root2, "g") is None
    diff = list(diff_trees(odb, root, root2))
    assert [(p, o.oid, nw.oid) for p, o, nw in diff] == [
        ("f0054321", oid_of(54_321), oid_of(54_321 + 10**8))]
    assert [t.name for t in read_tree(odb, root2)] == [f"f{i:07d}" for i in range(n)]


class CountingODB(MemoryObjectDatabase):
    """The in-memory store, counting reads."""

    reads = 0

    def get(self, oid):
        self.reads += 1
        return super().get(oid)


def test_diff_of_large_directories_skips_shared_nodes():
    odb = CountingODB()
    n = 50_000
    a = write_tree(odb, big_dir(n))
    entries = big_dir(n, changed=31_337)
    entries.insert(0, TreeEntry("a-new", MODE_FILE, oid_of(7), 7))
    del entries[40_001]                                  # drops f0040000
    b = write_tree(odb, entries)
    odb.reads = 0
    got = [(p, o and o.oid, nw and nw.oid) for p, o, nw in diff_trees(odb, a, b)]
    assert got == [("a-new", None, oid_of(7)),
                   ("f0031337", oid_of(31_337), oid_of(31_337 + 10**8)),
                   ("f0040000", oid_of(40_000), None)]
    assert odb.reads < 60            # a few root-to-leaf paths, not ~800 nodes
    assert list(diff_trees(odb, b, a)) == [(p, nw, o) for p, o, nw in diff_trees(odb, a, b)]


unicode_names = st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="/\0"),
                        min_size=1, max_size=12).filter(lambda s: s not in (".", ".."))
entries_st = st.lists(st.builds(TreeEntry, unicode_names,
                                st.sampled_from([MODE_FILE, MODE_EXEC, MODE_SYMLINK, MODE_DIR]),
                                st.binary(min_size=32, max_size=32), st.integers(0, (1 << 64) - 1)),
                      max_size=30, unique_by=lambda t: t.name)


@settings(max_examples=60, deadline=None)
@given(entries_st)
def test_tree_round_trip_with_any_names(entries):
    odb = MemoryObjectDatabase()
    oid = write_tree(odb, entries)
    assert read_tree(odb, oid) == sorted(entries, key=TreeEntry.sort_key)
    assert write_tree(odb, list(reversed(entries))) == oid
    raw = encode_node(0, sorted(entries, key=TreeEntry.sort_key))
    assert decode_node(raw) == (0, sorted(entries, key=TreeEntry.sort_key))


@settings(max_examples=60, deadline=None)
@given(entries_st.filter(bool), st.data())
def test_damaged_tree_bytes_are_rejected_or_reencode_identically(entries, data):
    raw = bytearray(encode_node(0, sorted(entries, key=TreeEntry.sort_key)))
    i = data.draw(st.integers(0, len(raw) - 1))
    raw[i] ^= data.draw(st.integers(1, 255))
    try:
        height, got = decode_node(bytes(raw))
    except CorruptObject:
        return
    assert encode_node(height, got) == bytes(raw)     # never a second spelling


def test_paths_nested_deeper_than_python_recursion():
    odb = MemoryObjectDatabase()
    deep = "/".join(["d"] * 2040) + "/f"          # about PATH_MAX with one-letter names
    a = build_tree(odb, {deep: (MODE_FILE, oid_of(1), 1)})
    b = build_tree(odb, {deep: (MODE_FILE, oid_of(2), 1), "x": (MODE_FILE, oid_of(3), 3)})
    assert [p for p, _ in walk(odb, a)] == [deep]
    assert [p for p, _, _ in diff_trees(odb, a, b)] == [deep, "x"]
    assert lookup(odb, b, deep).oid == oid_of(2)
