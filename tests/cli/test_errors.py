"""Exit codes and one-line errors, in one place for every kind of failure."""
from __future__ import annotations

import pytest


def _one_line(r):
    assert "Traceback" not in r.output + r.stderr
    assert r.stderr.count("\n") == 1, r.stderr
    assert r.stderr.startswith("error: ")


def test_not_a_repository_is_3(ldv):
    r = ldv("status", code=3)
    _one_line(r)
    assert "ldv init" in r.stderr


@pytest.mark.parametrize("args", [["show", "nosuch"], ["log", "HEAD~9"],
                                  ["rev-parse", "main:missing.txt"], ["diff", "a", "b", "c"],
                                  ["cat-file", "-t", "ab"], ["branch", "bad..name"],
                                  ["commit", "-m", ""], ["add"], ["config", "get", "nodot"]])
def test_bad_input_is_2(repo, args):
    r = repo(*args, code=2)
    assert "Traceback" not in r.output + r.stderr
    assert "rror" in r.stderr


def test_nothing_to_commit_is_1(repo):
    r = repo("commit", "-m", "again", code=1)
    _one_line(r)
    repo("commit", "-q", "--allow-empty", "-m", "empty")


def test_corrupt_pack_fsck_is_4(repo):
    packs = sorted((repo.root / ".ldv" / "objects").rglob("*"))
    packs = [p for p in packs if p.is_file() and "pack-index" not in p.name]
    assert packs
    victim = max(packs, key=lambda p: p.stat().st_size)
    data = bytearray(victim.read_bytes())
    data[len(data) // 2] ^= 0x40
    victim.write_bytes(bytes(data))
    r = repo("fsck", code=4)
    assert "corrupt" in r.output
    assert r.stderr.strip().splitlines()[-1].startswith("error: ")


def test_usage_errors_are_one_line_with_a_hint(repo):
    for args in (["frobnicate"], ["log", "--no-such-flag"], ["cat-file", "HEAD"],
                 ["diff", "--format", "yaml"]):
        r = repo(*args, code=2)
        _one_line(r)
        assert "(hint: see `" in r.stderr and "--help`)" in r.stderr


def test_locked_repository_is_3(repo):
    import fcntl
    lock = repo.root / ".ldv" / "locks" / "repo"
    lock.parent.mkdir(parents=True, exist_ok=True)
    with open(lock, "a+") as f:
        try:
            fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            pytest.fail("could not take the lock for the test")
        repo.write("a.txt", "changed\n")
        r = repo("commit", "-am", "blocked", code=3)
        _one_line(r)
        assert "locked" in r.stderr


@pytest.mark.parametrize("damage", ["flip", "truncate", "delete"])
def test_damaged_pack_index_is_rebuilt_by_fsck(repo, damage):
    index = repo.root / ".ldv" / "objects" / "pack-index"
    assert index.is_file()
    before = repo("log", "--oneline").output
    if damage == "flip":
        data = bytearray(index.read_bytes())
        data[len(data) // 2] ^= 0x01
        index.write_bytes(bytes(data))
    elif damage == "truncate":
        index.write_bytes(index.read_bytes()[:20])
    else:
        index.unlink()
    r = repo("log", "--oneline", code=4)
    _one_line(r)
    assert "ldv fsck --rebuild-index" in r.stderr
    r = repo("fsck", code=4)        # plain fsck points at the rebuild, not at backups
    assert "ldv fsck --rebuild-index" in r.stderr.strip().splitlines()[-1]
    assert "Traceback" not in r.output + r.stderr
    r = repo("fsck", "--rebuild-index")
    assert "rebuilt the pack index" in r.output + r.stderr
    assert repo("log", "--oneline").output == before
    repo("fsck")


@pytest.mark.parametrize("damage", ["garbage", "truncate"])
def test_damaged_worktree_index_is_rebuilt_by_reset(repo, damage):
    """`.ldv/index` damaged: every error names `ldv reset`, and `ldv reset` (which
    the hint names) rebuilds it instead of failing on the same damage."""
    index = repo.root / ".ldv" / "index"
    if damage == "garbage":
        index.write_bytes(b"garbage")
    else:
        index.write_bytes(index.read_bytes()[:-7])
    r = repo("status", code=4)
    _one_line(r)
    assert "ldv reset" in r.stderr
    r = repo("fsck", code=4)
    last = r.stderr.strip().splitlines()[-1]
    assert "ldv reset" in last and "restore the damaged packs" not in last
    repo.write("a.txt", "edited\n")
    repo("reset", "-q")
    assert repo("status", "--porcelain").output == " M a.txt\n"    # files kept
    repo("fsck")


def test_log_prints_the_commits_before_a_damaged_one(repo, monkeypatch):
    """As `git log` does: the readable history first, then the error (exit 4)."""
    import ldv
    from ldv.plumbing.pack import pack_path
    for i in (2, 3):
        repo.write("a.txt", f"version {i}\n")
        repo("commit", "-q", "-am", f"commit {i}")
    monkeypatch.setenv("XDG_CONFIG_HOME", repo.env["XDG_CONFIG_HOME"])
    with ldv.Repository.open(repo.root) as api:
        first = api.resolve_commit("HEAD~2")
        pack, entry = api.plumbing.odb._lookup(first)
    victim = repo.root / ".ldv" / "objects" / pack_path(pack)
    data = bytearray(victim.read_bytes())
    data[entry.offset + entry.length // 2] ^= 0x01     # inside the first commit
    victim.write_bytes(bytes(data))
    r = repo("log", "--oneline", code=4)
    lines = r.stdout.splitlines()
    assert len(lines) == 2 and lines[0].endswith(" commit 3") and lines[1].endswith(" commit 2")
    _one_line(r)
