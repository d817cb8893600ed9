from __future__ import annotations

import pytest

from ldv.plumbing.blobs import write_bytes
from ldv.plumbing.chunking import Chunker
from ldv.plumbing.odb import ObjType
from ldv.porcelain import config_ops, maintenance, revparse
from ldv.porcelain.inspect import read_file

from .history import build_history, make_commit, make_repo


@pytest.fixture
def repo(tmp_path):
    r = make_repo(tmp_path)
    yield r
    r.close()


def test_gc_keeps_reachable_drops_garbage(repo):
    oids = build_history(repo, 3, start={"big.bin": bytes(range(256)) * 2000})
    junk, _ = write_bytes(repo.odb, b"nobody refers to me" * 1000,
                          chunker=Chunker(repo.keyring.chunker_seed))
    junk_commit_tree = repo.odb.put(ObjType.META, b"stray record")
    repo.odb.flush()
    before = set(repo.odb.iter_ids())
    report = maintenance.gc(repo)
    after = set(repo.odb.iter_ids())
    assert junk not in after and junk_commit_tree not in after
    assert report.dropped == len(before - after) >= 2
    for i, oid in enumerate(oids):                       # every version still reads back
        assert read_file(repo, oid.hex(), "f.txt") == b"".join(
            f"line {k}\n".encode() for k in range(i + 1))
    assert read_file(repo, "HEAD", "big.bin") == bytes(range(256)) * 2000
    assert maintenance.fsck(repo).ok


def test_reflog_keeps_reset_away_commits(repo):
    oids = build_history(repo, 2)
    repo.refs.set("refs/heads/main", oids[0], message="reset: moving to HEAD~1")
    maintenance.gc(repo)
    assert read_file(repo, oids[1].hex(), "f.txt") == b"line 0\nline 1\n"


def test_fsck_finds_corruption_and_missing_objects(repo):
    build_history(repo, 2)
    assert maintenance.fsck(repo).ok
    packs = [p for p in (repo.ldv_dir / "objects").rglob("*")
             if p.is_file() and p.name != "pack-index"]
    victim = max(packs, key=lambda p: p.stat().st_size)
    data = bytearray(victim.read_bytes())
    data[len(data) // 3] ^= 1
    victim.write_bytes(bytes(data))
    report = maintenance.fsck(repo)
    assert not report.ok
    assert report.bad_packs and report.problems()


def test_fsck_reports_a_ref_to_a_missing_commit(repo):
    build_history(repo, 1)
    repo.refs.set("refs/heads/ghost", bytes(32))
    report = maintenance.fsck(repo)
    assert [name for name, _ in report.bad_refs] == ["refs/heads/ghost"]


def test_rotate_data_key_keeps_old_data(repo):
    oids = build_history(repo, 1)
    maintenance.rotate_data_key(repo)
    new = make_commit(repo, {"g.txt": b"new key"}, oids, "after", 5)
    assert revparse.resolve(repo, "HEAD") == new
    assert read_file(repo, oids[0].hex(), "f.txt") == b"line 0\n"
    assert read_file(repo, "HEAD", "g.txt") == b"new key"
    assert maintenance.fsck(repo).ok


def test_config_ops(repo):
    from ldv.plumbing.errors import BadInput
    config_ops.set_(repo, "user.name", "Ada")
    config_ops.set_(repo, "remote.origin.url", "https://x")
    assert config_ops.get(repo, "user.name") == "Ada"
    assert config_ops.items(repo) == [("remote.origin.url", "https://x"), ("user.name", "Ada")]
    assert config_ops.unset(repo, "user.name") and not config_ops.unset(repo, "user.name")
    for bad in ("nodot", "a b.c", ".x", "user."):
        with pytest.raises(BadInput):
            config_ops.set_(repo, bad, "v")
    with pytest.raises(BadInput):
        config_ops.set_(repo, "user.name", "two\nlines")


def test_gc_in_a_shallow_clone_keeps_what_is_there(repo):
    from ldv.plumbing.objects import Commit, read_commit, write_commit
    oids = build_history(repo, 2)
    tree = read_commit(repo.odb, oids[1]).tree
    tip = write_commit(repo.odb, Commit(tree, [bytes(range(32))], "T <t@x>", 9, 0,
                                        "T <t@x>", 9, 0, "shallow tip"))
    repo.odb.flush()
    repo.refs.set("refs/heads/shallow", tip)
    maintenance.gc(repo)                                   # the absent parent is a boundary
    assert read_file(repo, tip.hex(), "f.txt") == b"line 0\nline 1\n"
    report = maintenance.fsck(repo)
    assert [m[0] for m in report.missing] == [bytes(range(32)).hex()]


def test_gc_stops_on_a_missing_tree(repo):
    from ldv.plumbing.errors import ObjectNotFound
    from ldv.plumbing.objects import Commit, write_commit
    bad = write_commit(repo.odb, Commit(bytes(32), [], "T <t@x>", 1, 0, "T <t@x>", 1, 0, "x"))
    repo.odb.flush()
    repo.refs.set("refs/heads/main", bad)
    before = set(repo.odb.iter_ids())
    with pytest.raises(ObjectNotFound):
        maintenance.gc(repo)
    assert set(repo.odb.iter_ids()) == before               # nothing was deleted


def test_gc_settings_are_checked_when_set(repo):
    from ldv.plumbing.errors import BadInput
    config_ops.set_(repo, "gc.autoDepth", "4")
    config_ops.set_(repo, "gc.auto", "0")
    assert config_ops.get(repo, "gc.autoDepth") == "4"
    for key, bad in (("gc.autoDepth", "0"), ("gc.autoDepth", "deep"), ("gc.auto", "-1")):
        with pytest.raises(BadInput, match=key):
            config_ops.set_(repo, key, bad)
    assert config_ops.get(repo, "gc.autoDepth") == "4"
