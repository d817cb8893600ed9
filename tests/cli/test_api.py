"""The public Python API, ``import ldv`` (the CLI calls the same methods)."""
from __future__ import annotations

import pytest

import ldv
from ldv.plumbing.errors import BadRevision, NotARepository
from ldv.plumbing.keys import MasterKey
from ldv.porcelain.worktree import Identity

KEY = MasterKey.from_hex("22" * 32)
ME = Identity("Api User", "api@example.org")


def test_repository_round_trip(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "cfg"))
    repo, key_file = ldv.Repository.init(tmp_path / "ds", key=KEY)
    assert key_file is None                     # an explicit key is never written
    (repo.root / "x.csv").write_text("a,b\n1,2\n")
    repo.add(["x.csv"])
    first = repo.commit("one", author=ME, now=1_700_000_000)
    (repo.root / "x.csv").write_text("a,b\n1,3\n")
    second = repo.commit("two", all=True, author=ME, now=1_700_000_100)
    repo.close()

    with ldv.Repository.open(tmp_path / "ds", key=KEY.hex()) as r:
        assert [e.oid for e in r.log()] == [second, first]
        assert r.log(max_count=1)[0].summary == "two"
        assert r.read("HEAD~1", "x.csv") == b"a,b\n1,2\n"
        with r.open_file("HEAD", "x.csv") as f:
            f.seek(4)
            assert f.read(3) == b"1,3"
        assert r.resolve_commit("HEAD") == second
        d = r.diff("HEAD~1", "HEAD")
        assert d.name_status() == "M\tx.csv\n"
        assert d.to_json()["insertions"] == 1
        assert not r.diff()                      # clean working tree
        assert r.status().clean
        with pytest.raises(BadRevision):
            r.read("HEAD", "missing")


def test_open_outside_a_repository(tmp_path):
    with pytest.raises(NotARepository):
        ldv.Repository.open(tmp_path, key=KEY)


def test_lazy_attributes():
    assert ldv.LdvError.__name__ == "LdvError"
    assert str(ldv.Identity("A", "a@x")) == "A <a@x>"
    with pytest.raises(AttributeError):
        ldv.NoSuchThing  # noqa: B018


def test_branches_tags_checkout_and_upkeep(tmp_path):
    repo, _ = ldv.Repository.init(tmp_path / "ds", key=KEY)
    with repo:
        (repo.root / "a.txt").write_text("1\n")
        repo.add(["."])
        one = repo.commit("one", author=ME)
        repo.create_branch("side")
        repo.create_tag("v1", message="first release", tagger=ME)
        repo.create_tag("light")
        assert [b.name for b in repo.branches()] == ["main", "side"]
        assert [t.name for t in repo.tags()] == ["light", "v1"]
        assert repo.resolve_commit("v1") == one and repo.resolve("v1") != one
        repo.checkout("side")
        assert repo.head_branch == "side"
        (repo.root / "a.txt").write_text("2\n")
        two = repo.commit("two", all=True, author=ME)
        repo.checkout("v1")
        assert repo.head_branch is None and (repo.root / "a.txt").read_text() == "1\n"
        repo.checkout("main")
        with pytest.raises(ldv.LdvError):
            repo.delete_branch("side")                   # not merged into main
        assert repo.delete_branch("side", force=True) == two
        repo.rename_branch("main", "trunk")
        assert repo.head_branch == "trunk"
        repo.config_set("user.name", "Cfg")
        assert repo.config_get("user.name") == "Cfg"
        assert repo.gc().reachable > 0
        assert repo.fsck().ok
        repo.delete_tag("light")
        assert [t.name for t in repo.tags()] == ["v1"]
