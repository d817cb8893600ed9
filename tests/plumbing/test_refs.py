"""refs.py: names, compare-and-swap, symbolic refs, sealed reflog."""
from __future__ import annotations

import os
import threading

import pytest

from ldv.plumbing.errors import CorruptObject, InvalidRefName, RefConflict
from ldv.plumbing.refs import RefStore, validate_ref_name

A, B, C = bytes([1]) * 32, bytes([2]) * 32, bytes([3]) * 32


@pytest.fixture
def refs(tmp_path):
    store = RefStore(tmp_path, os.urandom(32), identity="Ada <ada@example.org>")
    store.set_symbolic("HEAD", "refs/heads/main")
    return store


@pytest.mark.parametrize("name", ["refs/heads/main", "refs/tags/v1.0", "HEAD",
                                  "refs/remotes/origin/feature/x", "MERGE_HEAD"])
def test_valid_names(name):
    validate_ref_name(name)


@pytest.mark.parametrize("name", ["", "@", "main", "refs/heads/a..b", "refs/heads/x.lock",
                                  "refs/heads/.hidden", "refs/heads/a b", "refs/heads/a~1",
                                  "refs/heads/a^", "refs/heads/a:b", "refs/heads/a?",
                                  "refs/heads/a*", "refs/heads/[a", "refs/heads/a\\b",
                                  "refs/heads/", "/refs/heads/a", "refs//heads", "refs/x@{1}",
                                  "refs/heads/a.", "refs/heads/\x01"])
def test_invalid_names(name):
    with pytest.raises(InvalidRefName):
        validate_ref_name(name)


def test_head_follows_the_branch(refs):
    assert refs.read("HEAD") is None
    refs.set("HEAD", A, old=None, message="commit (initial)")
    assert refs.read("refs/heads/main") == A
    assert refs.read("HEAD") == A
    assert refs.read_symbolic("HEAD") == "refs/heads/main"
    assert refs.read_symbolic("refs/heads/main") is None


def test_compare_and_swap(refs):
    refs.set("refs/heads/main", A, old=None)
    with pytest.raises(RefConflict):
        refs.set("refs/heads/main", B, old=None)
    with pytest.raises(RefConflict):
        refs.set("refs/heads/main", B, old=C)
    refs.set("refs/heads/main", B, old=A)
    assert refs.read("refs/heads/main") == B
    with pytest.raises(RefConflict):
        refs.delete("refs/heads/main", old=A)
    refs.delete("refs/heads/main", old=B)
    assert refs.read("refs/heads/main") is None


def test_concurrent_cas_never_loses_an_update(refs):
    refs.set("refs/heads/main", A)
    wins = []

    def attempt(new):
        try:
            refs.set("refs/heads/main", new, old=A)
            wins.append(new)
        except RefConflict:
            pass

    threads = [threading.Thread(target=attempt, args=(bytes([i]) * 32,)) for i in range(4, 12)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(10)
    assert len(wins) == 1
    assert refs.read("refs/heads/main") == wins[0]


def test_list_by_prefix(refs):
    refs.set("refs/heads/main", A)
    refs.set("refs/heads/feature/x", B)
    refs.set("refs/tags/v1", C)
    assert refs.list() == {"refs/heads/main": A, "refs/heads/feature/x": B,
                           "refs/tags/v1": C}
    assert refs.list("refs/tags/") == {"refs/tags/v1": C}


def test_reflog_records_and_is_sealed(refs, tmp_path):
    refs.set("HEAD", A, message="commit: first")
    refs.set("HEAD", B, old=A, message="commit: second")
    log = refs.reflog("refs/heads/main")
    assert [(e.old, e.new, e.message) for e in log] == [
        (None, A, "commit: first"), (A, B, "commit: second")]
    assert log[0].who == "Ada <ada@example.org>" and log[0].when > 0
    assert [e.new for e in refs.reflog("HEAD")] == [A, B]
    raw = (tmp_path / "logs" / "refs" / "heads" / "main").read_bytes()
    assert b"commit: first" not in raw and A.hex().encode() not in raw


def test_torn_reflog_tail_is_ignored_and_damage_is_reported(refs, tmp_path):
    refs.set("refs/heads/main", A, message="one")
    path = tmp_path / "logs" / "refs" / "heads" / "main"
    with open(path, "ab") as f:
        f.write(b"\x00\x00\x01\x00partial")
    assert len(refs.reflog("refs/heads/main")) == 1
    raw = bytearray(path.read_bytes())
    raw[10] ^= 1
    path.write_bytes(bytes(raw))
    with pytest.raises(CorruptObject):
        refs.reflog("refs/heads/main")


def test_garbage_ref_file_is_reported(refs, tmp_path):
    (tmp_path / "refs" / "heads").mkdir(parents=True, exist_ok=True)
    (tmp_path / "refs" / "heads" / "bad").write_text("not an id\n")
    with pytest.raises(CorruptObject):
        refs.read("refs/heads/bad")


def test_detached_head_and_back(refs):
    refs.set("HEAD", A, message="commit")
    refs.set_detached("HEAD", B, message="checkout: detach")
    assert refs.read_symbolic("HEAD") is None
    assert refs.read("HEAD") == B and refs.read("refs/heads/main") == A
    refs.set("HEAD", C, old=B)                  # a commit on a detached HEAD
    assert refs.read("refs/heads/main") == A
    with pytest.raises(RefConflict):
        refs.set_detached("HEAD", A, old=B)
    refs.set_symbolic("HEAD", "refs/heads/main", message="checkout: main")
    assert refs.read("HEAD") == A
    assert [e.new for e in refs.reflog("HEAD")] == [A, B, C, A]


def test_directory_file_conflicts_and_pruning(refs, tmp_path):
    refs.set("refs/heads/feature/x", A)
    with pytest.raises(RefConflict, match="refs exist below"):
        refs.set("refs/heads/feature", B)
    with pytest.raises(RefConflict, match="exists"):
        refs.set("refs/heads/feature/x/y", B)
    refs.delete("refs/heads/feature/x")
    assert not (tmp_path / "refs" / "heads" / "feature").exists()
    assert (tmp_path / "refs" / "heads").is_dir()
    refs.set("refs/heads/feature", B)          # the name is free again
    assert refs.read("refs/heads/feature") == B
