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
    with pytest.raises(AttributeError):
        ldv.NoSuchThing  # noqa: B018
