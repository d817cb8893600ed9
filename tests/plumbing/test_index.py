"""The index: round-trips, corruption, the stat cache and racy timestamps."""
from __future__ import annotations

import os
import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ldv.plumbing.errors import CorruptIndex
from ldv.plumbing.index import (RACY_WINDOW_NS, UNVERIFIED, Entry, Index, is_racy,
                                mode_of)
from ldv.plumbing.objects import MODE_EXEC, MODE_FILE, MODE_SYMLINK
from ldv.plumbing.odb import MemoryObjectDatabase
from ldv.plumbing.trees import build_tree

names = st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="/\0"),
                min_size=1, max_size=12)
entries = st.builds(
    lambda parts, mode, oid, size, mt, ct, ino, dev: Entry(
        "/".join(parts), mode, oid, size, mt, ct, ino, dev, 0),
    st.lists(names, min_size=1, max_size=3), st.sampled_from([MODE_FILE, MODE_EXEC,
                                                              MODE_SYMLINK]),
    st.binary(min_size=32, max_size=32), st.integers(0, 2**64 - 1),
    st.integers(0, 2**62), st.integers(0, 2**62), st.integers(0, 2**64 - 1),
    st.integers(0, 2**64 - 1))


def _fields(e: Entry):
    return (e.path, e.mode, e.oid, e.size, e.mtime_ns, e.ctime_ns, e.ino, e.dev)


@settings(max_examples=60, deadline=None)
@given(st.lists(entries, max_size=20), st.one_of(st.none(), st.binary(min_size=32,
                                                                       max_size=32)))
def test_round_trip(es, tree):
    index = Index({e.path: e for e in es}, tree)
    data = index.serialize(now_ns=2**62 + 10**10)   # after every mtime: nothing racy
    back = Index.parse(data)
    assert back.tree == tree
    assert [_fields(e) for e in back] == [_fields(e) for e in index]
    assert Index.parse(back.serialize(now_ns=index.stamp_ns)).tree == tree


def test_truncated_and_garbage_are_corrupt():
    index = Index({"a": Entry("a", MODE_FILE, bytes(32), 1, 5, 5, 1, 1, 0)})
    data = index.serialize(now_ns=10**18)
    for bad in (data[:-1], data[:10], b"XXXX" + data[4:], data + b"x"):
        with pytest.raises(CorruptIndex) as exc:
            Index.parse(bad)
        assert exc.value.hint and exc.value.exit_code == 4


def test_stat_cache_matches_only_unchanged_files(tmp_path):
    f = tmp_path / "f"
    f.write_bytes(b"hello")
    st0 = os.lstat(f)
    e = Entry.from_stat("f", mode_of(st0), bytes(32), st0)
    assert e.stat_matches(os.lstat(f))
    os.utime(f, ns=(st0.st_atime_ns, st0.st_mtime_ns + 1))
    assert not e.stat_matches(os.lstat(f))
    os.chmod(f, 0o755)
    assert mode_of(os.lstat(f)) == MODE_EXEC


def test_recent_entries_are_marked_racy_when_written(tmp_path):
    f = tmp_path / "f"
    f.write_bytes(b"x")
    st0 = os.lstat(f)
    index = Index({"f": Entry.from_stat("f", MODE_FILE, bytes(32), st0)})
    # written right away: the file could still change within its mtime granule
    back = Index.parse(index.serialize(now_ns=st0.st_mtime_ns + 1))
    assert back.get("f").flags & UNVERIFIED
    assert not back.get("f").stat_matches(st0)
    # written well after: trusted
    index = Index({"f": Entry.from_stat("f", MODE_FILE, bytes(32), st0)})
    back = Index.parse(index.serialize(now_ns=st0.st_mtime_ns + 2 * RACY_WINDOW_NS))
    assert back.get("f").stat_matches(st0)


def test_is_racy_uses_a_wide_window_for_whole_second_timestamps():
    now = time.time_ns()
    whole = (now // 10**9 - 1) * 10**9
    assert is_racy(whole, now)
    assert not is_racy(now - 3 * RACY_WINDOW_NS - 1, now)


def test_mutations_forget_the_tree_cache():
    e = Entry("a", MODE_FILE, bytes(32), 1)
    index = Index({"a": e}, tree=b"t" * 32)
    index.put(Entry("a", MODE_FILE, bytes(32), 1))   # same content: cache kept
    assert index.tree == b"t" * 32
    index.put(Entry("a", MODE_EXEC, bytes(32), 1))
    assert index.tree is None
    index.tree = b"t" * 32
    index.remove("a")
    assert index.tree is None
    assert index.paths_under("") == []


class CountingODB(MemoryObjectDatabase):
    def __init__(self):
        super().__init__()
        self.puts = 0

    def put(self, type_code, data, *, delta_base=None, oid=None):
        self.puts += 1
        return super().put(type_code, data, delta_base=delta_base, oid=oid)


def _entry(path, n):
    return Entry(path, MODE_FILE, bytes([n]) * 32, n)


def test_write_tree_agrees_with_build_tree_and_rewrites_only_changed_dirs():
    paths = [f"d{i}/s{j}/f{k}" for i in range(5) for j in range(4) for k in range(3)]
    index = Index({p: _entry(p, n % 200) for n, p in enumerate(paths)})
    odb = CountingODB()
    root = index.write_tree(odb)
    assert root == build_tree(odb, index.files())
    back = Index.parse(index.serialize(now_ns=10**18))
    assert back.tree == root and back.write_tree(odb) == root
    odb.puts = 0
    back.put(_entry("d2/s1/f0", 250))
    new_root = back.write_tree(odb)
    assert odb.puts == 3                # d2/s1, d2 and the root: nothing else
    assert new_root == build_tree(MemoryObjectDatabase(), back.files())
    back.remove("d4/s3/f2")
    assert back.write_tree(odb) == build_tree(MemoryObjectDatabase(), back.files())
