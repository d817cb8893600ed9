from __future__ import annotations

import pytest

from ldv.porcelain import log

from .history import build_history, make_commit, make_repo


@pytest.fixture
def repo(tmp_path):
    r = make_repo(tmp_path)
    yield r
    r.close()


def test_linear_newest_first(repo):
    oids = build_history(repo, 6)
    got = [e.oid for e in log.walk(repo, [oids[-1]])]
    assert got == oids[::-1]
    assert [e.oid for e in log.walk(repo, [oids[-1]], max_count=2)] == oids[:-3:-1]
    assert list(log.walk(repo, [oids[-1]], max_count=0)) == []
    assert [e.summary for e in log.walk(repo, [oids[2]])] == ["commit 2", "commit 1", "commit 0"]


def test_merge_each_commit_once_by_time(repo):
    base = make_commit(repo, {"a": b"0"}, (), "base", 10)
    side = make_commit(repo, {"a": b"0", "s": b"1"}, (base,), "side", 30, branch=None)
    main = make_commit(repo, {"a": b"1"}, (base,), "main", 20)
    merge = make_commit(repo, {"a": b"1", "s": b"1"}, (main, side), "merge", 40)
    got = [e.oid for e in log.walk(repo, [merge])]
    assert got == [merge, side, main, base]
    first = [e.oid for e in log.walk(repo, [merge], first_parent=True)]
    assert first == [merge, main, base]


def test_path_filter(repo):
    c1 = make_commit(repo, {"a.txt": b"1", "d/b.txt": b"1"}, (), "both", 1)
    c2 = make_commit(repo, {"a.txt": b"2", "d/b.txt": b"1"}, (c1,), "a only", 2)
    c3 = make_commit(repo, {"a.txt": b"2", "d/b.txt": b"2"}, (c2,), "b only", 3)
    c4 = make_commit(repo, {"a.txt": b"2"}, (c3,), "drop b", 4)
    assert [e.oid for e in log.walk(repo, [c4], paths=["a.txt"])] == [c2, c1]
    assert [e.oid for e in log.walk(repo, [c4], paths=["d"])] == [c4, c3, c1]
    assert [e.oid for e in log.walk(repo, [c4], paths=["d/b.txt", "a.txt"])] == [c4, c3, c2, c1]
    assert list(log.walk(repo, [c4], paths=["nope"])) == []


def test_graph_lanes(repo):
    base = make_commit(repo, {"a": b"0"}, (), "base", 10)
    side = make_commit(repo, {"a": b"2"}, (base,), "side", 30, branch=None)
    main = make_commit(repo, {"a": b"1"}, (base,), "main", 20)
    merge = make_commit(repo, {"a": b"3"}, (main, side), "merge", 40)
    g = log.Graph()
    rows = []
    for e in log.walk(repo, [merge]):
        before, row, after = g.lines(e.oid, e.parents)
        rows += before + [row] + after
    # merge opens a second lane, the two lanes join again at the base
    # what `git log --graph` draws, padded as Git pads (text starts after the lanes)
    assert rows == ["*   ", "|\\  ", "| * ", "* | ", "|/  ", "* "]
    assert g.lanes == []


def test_shallow_history_ends_at_a_missing_parent(repo):
    """A `clone --depth 1` holds a commit whose parent is not stored: log stops there."""
    from ldv.plumbing.objects import Commit, read_commit, write_commit
    tree = read_commit(repo.odb, make_commit(repo, {"a": b"1"})).tree
    absent = bytes(range(32))
    tip = write_commit(repo.odb, Commit(tree, [absent], "T <t@x>", 5, 0, "T <t@x>", 5, 0, "tip"))
    repo.odb.flush()
    assert [e.oid for e in log.walk(repo, [tip])] == [tip]
    assert [e.oid for e in log.walk(repo, [tip], paths=["a"])] == [tip]
