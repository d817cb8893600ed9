"""The parsed index's packed view (stat_keys, get, any_flagged, paths) agrees with
the Entry objects it builds on demand, and rejects records it cannot bisect."""
from __future__ import annotations

import os

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ldv.plumbing.errors import CorruptIndex
from ldv.plumbing.index import (SKIP_WORKTREE, STAT_KEY, UNMERGED, UNVERIFIED, Entry,
                                Index, stat_key)
from ldv.plumbing.objects import MODE_EXEC, MODE_FILE, MODE_SYMLINK

names = st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="/\0"),
                min_size=1, max_size=8)
entries = st.builds(
    lambda parts, mode, oid, size, mt, ct, ino, dev, flags: Entry(
        "/".join(parts), mode, oid, size, mt, ct, ino, dev, flags),
    st.lists(names, min_size=1, max_size=3),
    st.sampled_from([MODE_FILE, MODE_EXEC, MODE_SYMLINK]),
    st.binary(min_size=32, max_size=32), st.integers(0, 2**64 - 1),
    st.integers(-2**62, 2**62), st.integers(-2**62, 2**62), st.integers(0, 2**64 - 1),
    st.integers(0, 2**64 - 1),
    st.sets(st.sampled_from([UNVERIFIED, UNMERGED, SKIP_WORKTREE])).map(sum))

FAR_FUTURE = 2**62 + 10**10     # after every mtime: serialize marks nothing racy


def _fields(e: Entry):
    return (e.path, e.mode, e.oid, e.size, e.mtime_ns, e.ctime_ns, e.ino, e.dev, e.flags)


@settings(max_examples=60, deadline=None)
@given(st.lists(entries, max_size=25), st.lists(names, max_size=4))
def test_the_packed_view_agrees_with_the_entries(es, others):
    want = {e.path: e for e in es}
    data = Index(dict(want)).serialize(now_ns=FAR_FUTURE)
    packed, full = Index.parse(data), Index.parse(data)
    assert list(packed.paths()) == sorted(want)
    assert len(packed) == len(want)
    keys = packed.stat_keys()
    for path, e in want.items():
        assert path in packed
        assert _fields(packed.get(path)) == _fields(e)
        assert keys[path] == STAT_KEY.pack(e.flags, e.size, e.mtime_ns, e.ctime_ns, e.ino)
    for name in others:
        assert (name in packed) == (name in want)
        assert (packed.get(name) is None) == (name not in want)
    for flag in (UNVERIFIED, UNMERGED, SKIP_WORKTREE, UNMERGED | SKIP_WORKTREE):
        assert packed.any_flagged(flag) == any(e.flags & flag for e in want.values())
    assert packed._entries is None          # nothing above built every Entry
    assert {p: _fields(e) for p, e in full.entries.items()} == \
        {p: _fields(e) for p, e in want.items()}
    assert full.stat_keys() == keys         # the same keys once materialized
    assert full.any_flagged(UNMERGED) == packed.any_flagged(UNMERGED)


def test_a_file_recorded_from_its_stat_matches_its_key(tmp_path):
    f = tmp_path / "a.txt"
    f.write_bytes(b"one\n")
    st = os.lstat(f)
    index = Index({"a.txt": Entry.from_stat("a.txt", MODE_FILE, b"\1" * 32, st)})
    back = Index.parse(index.serialize(now_ns=st.st_mtime_ns + 10**10))
    assert back.stat_keys()["a.txt"] == stat_key(st)
    f.write_bytes(b"two, longer\n")
    assert back.stat_keys()["a.txt"] != stat_key(os.lstat(f))


def test_a_racy_entry_never_matches_its_key(tmp_path):
    f = tmp_path / "a.txt"
    f.write_bytes(b"one\n")
    st = os.lstat(f)
    index = Index({"a.txt": Entry.from_stat("a.txt", MODE_FILE, b"\1" * 32, st)})
    back = Index.parse(index.serialize(now_ns=st.st_mtime_ns))    # written at once
    assert back.get("a.txt").flags & UNVERIFIED
    assert back.stat_keys()["a.txt"] != stat_key(st)


def _two_entry_index(first: str, second: str) -> bytes:
    """An index whose two names are replaced, bytes for bytes, after sealing."""
    es = {p: Entry(p, MODE_FILE, bytes(32), 1, 1, 1, 1, 1, 0) for p in ("aa", "bb")}
    data = Index(es).serialize(now_ns=FAR_FUTURE)
    assert data.endswith(b"aa\0bb\0")
    return data[:-6] + f"{first}\0{second}\0".encode()


def test_unsorted_entries_are_a_corrupt_index():
    # names are decoded (and checked) on first use: the native status scan checks
    # the order itself and hands an unsorted index to this path
    index = Index.parse(_two_entry_index("bb", "aa"))
    with pytest.raises(CorruptIndex, match="unsorted"):
        index.paths()


@pytest.mark.parametrize("use", ["stat_keys", "entries"])
def test_duplicate_entries_are_a_corrupt_index(use):
    index = Index.parse(_two_entry_index("aa", "aa"))
    with pytest.raises(CorruptIndex, match="duplicate"):
        getattr(index, use)() if use == "stat_keys" else index.entries


NOW = 10**18                    # entries' mtimes are drawn around this moment
near_now = st.builds(
    lambda e, dt, whole: Entry(e.path, e.mode, e.oid, e.size,
                               (NOW + dt) // 10**9 * 10**9 if whole else NOW + dt,
                               e.ctime_ns, e.ino, e.dev, e.flags),
    entries, st.integers(-3 * 10**9, 10**9), st.booleans())


@settings(max_examples=60, deadline=None)
@given(st.lists(st.one_of(entries, near_now), max_size=25), st.integers(0, 3 * 10**9),
       st.lists(st.tuples(st.integers(0, 30), st.integers(-3 * 10**9, 10**9), st.booleans()),
                max_size=5))
def test_packed_refresh_and_serialize_equal_the_entry_path(es, later, refreshes):
    want = {e.path: e for e in es}
    data = Index(dict(want)).serialize(now_ns=NOW - 5 * 10**9)   # nothing racy yet
    packed, full = Index.parse(data), Index.parse(data)
    full.entries                                                  # materialize one
    paths = sorted(want)
    for k, dt, same in refreshes:       # a refresh records a fresh, maybe racy, mtime
        if not paths:
            break
        mtime = NOW + dt if dt % 2 else (NOW + dt) // 10**9 * 10**9
        old = want[paths[k % len(paths)]]
        new = Entry(old.path, old.mode, old.oid if same else bytes(32), old.size // 2,
                    mtime, mtime, old.ino, old.dev, 0)
        assert packed.refresh(new) == full.refresh(new) == (old.oid == new.oid)
    assert packed.refresh(Entry("\0untracked", MODE_FILE, bytes(32), 0)) is False
    assert packed._entries is None
    now = NOW + later
    assert packed.serialize(now_ns=now) == full.serialize(now_ns=now)
    assert packed._entries is None
    again = Index.parse(packed.serialize(now_ns=now))
    assert again.stat_keys() == full.stat_keys()
