from __future__ import annotations

import pytest

from ldv.plumbing.errors import BadInput, Conflict, InvalidRefName
from ldv.porcelain import refs_ops

from .history import build_history, make_commit, make_repo


@pytest.fixture
def repo(tmp_path):
    r = make_repo(tmp_path)
    yield r
    r.close()


def test_create_list_rename_delete(repo):
    oids = build_history(repo, 3)
    refs_ops.create_branch(repo, "feature/x", oids[0])
    names = [(b.name, b.oid, b.current) for b in refs_ops.list_branches(repo)]
    assert names == [("feature/x", oids[0], False), ("main", oids[2], True)]
    with pytest.raises(BadInput, match="already exists"):
        refs_ops.create_branch(repo, "feature/x", oids[1])
    refs_ops.create_branch(repo, "feature/x", oids[1], force=True)
    refs_ops.rename_branch(repo, "feature/x", "y")
    assert [b.name for b in refs_ops.list_branches(repo)] == ["main", "y"]
    assert refs_ops.delete_branch(repo, "y") == oids[1]      # merged into HEAD
    assert [b.name for b in refs_ops.list_branches(repo)] == ["main"]


def test_delete_unmerged_needs_force(repo):
    oids = build_history(repo, 2)
    side = make_commit(repo, {"s": b"1"}, (oids[0],), "side", 5, branch="refs/heads/side")
    with pytest.raises(Conflict, match="not fully merged"):
        refs_ops.delete_branch(repo, "side")
    assert refs_ops.delete_branch(repo, "side", force=True) == side
    with pytest.raises(BadInput, match="checked out"):
        refs_ops.delete_branch(repo, "main", force=True)


def test_rename_current_moves_head(repo):
    oids = build_history(repo, 1)
    refs_ops.rename_branch(repo, "main", "trunk")
    assert refs_ops.current_branch(repo) == "trunk"
    assert repo.refs.read("HEAD") == oids[0]


@pytest.mark.parametrize("bad", ["a..b", "-x", "HEAD", "x.lock", "a b", "x~1", ""])
def test_bad_names(repo, bad):
    oids = build_history(repo, 1)
    with pytest.raises(InvalidRefName):
        refs_ops.create_branch(repo, bad, oids[0])


def test_tags(repo):
    oids = build_history(repo, 2)
    refs_ops.create_tag(repo, "v1", oids[0])
    t = refs_ops.create_tag(repo, "v2", oids[1], message="two", tagger="T <t@x>", now=5)
    assert [(x.name, x.oid) for x in refs_ops.list_tags(repo)] == [("v1", oids[0]), ("v2", t)]
    with pytest.raises(BadInput, match="already exists"):
        refs_ops.create_tag(repo, "v1", oids[1])
    assert refs_ops.delete_tag(repo, "v1") == oids[0]
    assert refs_ops.is_ancestor(repo, oids[0], oids[1])
    assert not refs_ops.is_ancestor(repo, oids[1], oids[0])
