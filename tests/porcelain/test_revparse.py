from __future__ import annotations

import pytest

from ldv.plumbing.errors import BadRevision
from ldv.plumbing.odb import ObjType
from ldv.porcelain import refs_ops, revparse

from .history import build_history, make_commit, make_repo


@pytest.fixture
def repo(tmp_path):
    r = make_repo(tmp_path)
    yield r
    r.close()


def test_head_and_ancestors(repo):
    oids = build_history(repo, 5)
    assert revparse.resolve(repo, "HEAD") == oids[-1]
    assert revparse.resolve(repo, "@") == oids[-1]
    assert revparse.resolve(repo, "main") == oids[-1]
    assert revparse.resolve(repo, "HEAD~1") == oids[-2]
    assert revparse.resolve(repo, "HEAD~4") == oids[0]
    assert revparse.resolve(repo, "HEAD^") == oids[-2]
    assert revparse.resolve(repo, "HEAD^^~1") == oids[-4]
    assert revparse.resolve(repo, "HEAD^0") == oids[-1]
    with pytest.raises(BadRevision, match="no parent"):
        revparse.resolve(repo, "HEAD~5")


def test_hex_prefixes(repo):
    oids = build_history(repo, 3)
    h = oids[1].hex()
    assert revparse.resolve(repo, h) == oids[1]
    assert revparse.resolve(repo, h[:8]) == oids[1]
    assert revparse.resolve(repo, h[:5]) == oids[1]          # odd length: half a byte
    assert revparse.resolve(repo, h[:8] + "~1") == oids[0]
    with pytest.raises(BadRevision):
        revparse.resolve(repo, h[:3])          # below the 4-character minimum
    with pytest.raises(BadRevision):
        revparse.resolve(repo, "nosuchbranch")


def test_merge_parents(repo):
    base = make_commit(repo, {"a": b"1"}, (), "base", 1)
    side = make_commit(repo, {"a": b"2"}, (base,), "side", 2, branch="refs/heads/side")
    main = make_commit(repo, {"a": b"3"}, (base,), "main", 3)
    merge = make_commit(repo, {"a": b"4"}, (main, side), "merge", 4)
    assert revparse.resolve(repo, "HEAD^1") == main
    assert revparse.resolve(repo, "HEAD^2") == side
    assert revparse.resolve(repo, "HEAD^2~1") == base
    assert revparse.resolve(repo, "side") == side
    assert merge == revparse.resolve(repo, "refs/heads/main")


def test_rev_path(repo):
    make_commit(repo, {"d/x.txt": b"hello", "top": b"t"})
    r = revparse.parse(repo, "HEAD:d/x.txt")
    assert r.type == ObjType.BLOB and r.entry.size == 5
    assert revparse.parse(repo, "HEAD:d").type == ObjType.TREE
    with pytest.raises(BadRevision, match="does not exist"):
        revparse.parse(repo, "HEAD:nope")


def test_tags_peel(repo):
    oids = build_history(repo, 2)
    refs_ops.create_tag(repo, "light", oids[0])
    tag = refs_ops.create_tag(repo, "v1", oids[1], message="release", tagger="T <t@x>")
    assert revparse.resolve(repo, "light") == oids[0]
    assert revparse.resolve(repo, "v1") == tag
    assert revparse.resolve_commit(repo, "v1") == oids[1]
    assert revparse.resolve(repo, "v1^{}") == oids[1]
    assert revparse.resolve(repo, "v1~1") == oids[0]


def test_empty_repo_head(repo):
    with pytest.raises(BadRevision, match="first commit"):
        revparse.resolve(repo, "HEAD")


@pytest.mark.parametrize("bad", ["", "HEAD~x", "main^^{", ":x", "HEAD@{9}", "HEAD@{x}"])
def test_malformed(repo, bad):
    build_history(repo, 1)
    with pytest.raises(BadRevision):
        revparse.resolve(repo, bad)


def test_reflog_suffix(repo):
    oids = build_history(repo, 3)
    repo.refs.set("refs/heads/main", oids[0], message="reset: back")
    assert revparse.resolve(repo, "main@{0}") == oids[0]
    assert revparse.resolve(repo, "main@{1}") == oids[2]
    assert revparse.resolve(repo, "main@{1}~1") == oids[1]
    assert revparse.resolve(repo, "@{3}") == oids[0]
    with pytest.raises(BadRevision, match="only 4 entries"):
        revparse.resolve(repo, "main@{4}")
    with pytest.raises(BadRevision, match="unknown ref"):
        revparse.resolve(repo, "nosuch@{0}")
