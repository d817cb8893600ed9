"""push / clone / pull / fetch between real repositories through a real ldv-server
over HTTPS on loopback, on the embedded and on the production backends."""
from __future__ import annotations

import os
import subprocess
import threading
from pathlib import Path

import pytest

from ldv.plumbing.errors import NonFastForward, RefConflict, RefRollback
from ldv.plumbing.keys import MasterKey
from ldv.porcelain import sync
from ldv.porcelain.maintenance import fsck, gc
from tests.porcelain.history import KEY_HEX, make_commit, make_repo

from .test_api import make_services  # noqa: F401  (shared builder)
from .harness import ServerThread

MARK = "zq" + "xj" * 4     # a marker no ciphertext will contain by chance


@pytest.fixture(params=["embedded", "production"])
def server(request, tmp_path):
    svc = make_services(request.param, tmp_path / "srv", request)
    svc.store.create_repo("ds")
    srv = ServerThread(svc, tmp_path / "srv").start()
    srv.kind = request.param
    yield srv
    srv.stop()


def connect(srv, repo, role="write", name="origin"):
    _id, token = srv.svc.store.create_token("ds", role, "tester")
    if name not in {r.name for r in sync.list_remotes(repo)}:
        sync.add_remote(repo, name, srv.url("ds"), srv.fingerprint)
    return sync.connect(sync.get_remote(repo, name), token), token


def files_v1():
    return {f"data/{MARK}-train.jsonl": (f'{{"text": "{MARK} secret row"}}\n' * 2000).encode(),
            "README.md": b"hello\n", "big.bin": os.urandom(3 << 20)}


def worktree_files(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in root.rglob("*")
            if p.is_file() and ".ldv" not in p.relative_to(root).parts}


def test_push_clone_pull_round_trip(server, tmp_path):
    a = make_repo(tmp_path / "a")
    files = files_v1()
    c1 = make_commit(a, files, message=f"first {MARK}")
    client, token = connect(server, a)
    r = sync.push(a, client, "origin", "main")
    assert r.commits == 1 and r.packs >= 2 and r.bytes_sent > len(files["big.bin"])
    b = sync.clone(server.url("ds"), tmp_path / "b", MasterKey.from_hex(KEY_HEX), token,
                   fingerprint=server.fingerprint)
    assert worktree_files(tmp_path / "b") == files
    assert b.refs.read("refs/heads/main") == c1 == b.refs.read("refs/remotes/origin/main")
    # a second commit travels alone and pull fast-forwards the clone
    files2 = dict(files, **{"README.md": b"hello again\n"})
    c2 = make_commit(a, files2, parents=[c1], message="second")
    again = sync.push(a, client, "origin", "main")
    assert again.commits == 1 and again.bytes_sent < 64 << 10
    bclient, _ = connect(server, b)
    assert sync.pull(b, bclient, "origin") == "fast-forward"
    assert worktree_files(tmp_path / "b") == files2 and b.refs.read("refs/heads/main") == c2
    assert sync.pull(b, bclient, "origin") == "up to date"
    assert fsck(b).ok


def test_no_plaintext_reaches_the_server(server, tmp_path):
    a = make_repo(tmp_path / "a")
    make_commit(a, files_v1(), message=f"commit message {MARK}")
    client, _ = connect(server, a)
    sync.push(a, client, "origin", "main")
    needle = MARK.encode()
    if server.kind == "embedded":
        blobs = [p.read_bytes() for p in (tmp_path / "srv").rglob("*") if p.is_file()]
    else:
        backend = server.svc.backend
        blobs = [backend.get(n) for n in backend.list("")]
        dump = subprocess.run(["pg_dump", "-h", "127.0.0.1", "-U", "postgres", "-n",
                               server.svc.store.schema, "test"], capture_output=True,
                              timeout=60)
        assert dump.returncode == 0, dump.stderr[-300:]
        blobs.append(dump.stdout)
    assert blobs and sum(map(len, blobs)) > 3 << 20
    assert not any(needle in b for b in blobs)


def test_concurrent_pushes_to_one_branch(server, tmp_path):
    a = make_repo(tmp_path / "a")
    base = make_commit(a, {"f": b"base"})
    ca, token = connect(server, a)
    sync.push(a, ca, "origin", "main")
    b = sync.clone(server.url("ds"), tmp_path / "b", MasterKey.from_hex(KEY_HEX), token,
                   fingerprint=server.fingerprint)
    cb, _ = connect(server, b)
    make_commit(a, {"f": b"from a"}, parents=[base])
    make_commit(b, {"f": b"from b"}, parents=[base])
    results, barrier = [], threading.Barrier(2)

    def go(repo, client):
        barrier.wait(10)
        try:
            results.append(sync.push(repo, client, "origin", "main"))
        except (NonFastForward, RefConflict) as e:
            results.append(e)

    threads = [threading.Thread(target=go, args=x) for x in ((a, ca), (b, cb))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert sorted(type(r).__name__ for r in results) in (["NonFastForward", "PushResult"],
                                                          ["PushResult", "RefConflict"])
    winner = next(r for r in results if isinstance(r, sync.PushResult))
    (ref,) = [r for r in ca.list_refs() if r.name == "refs/heads/main"]
    assert ref.target == winner.new


def test_rolled_back_ref_is_detected(server, tmp_path):
    a = make_repo(tmp_path / "a")
    c1 = make_commit(a, {"f": b"1"})
    client, _ = connect(server, a)
    sync.push(a, client, "origin", "main")
    old = server.svc.store.get_ref("ds", "refs/heads/main")
    make_commit(a, {"f": b"2"}, parents=[c1])
    sync.push(a, client, "origin", "main")
    # the server's operator rolls main back by hand, seal and all
    with server.svc.store._tx(write=True) as cur:
        cur.execute("UPDATE refs SET target = ?, sealed = ?, version = version + 1"
                    " WHERE name = ?", (old.target, old.sealed, "refs/heads/main"))
    with pytest.raises(RefRollback, match="older"):
        sync.fetch(a, client, "origin")


def test_push_killed_before_its_ref_swap_then_a_newer_push(server, tmp_path):
    a = make_repo(tmp_path / "a")
    c1 = make_commit(a, files_v1())
    client, token = connect(server, a)
    # data, metadata and graph arrive; the ref swap never happens
    commits = sync._new_commits(a, client, c1)
    sync._send_objects(a, client, commits, sync.PushResult("refs/heads/main", None, ""),
                       sync._noop)
    assert client.list_refs() == []
    c2 = make_commit(a, dict(files_v1(), extra=b"more"), parents=[c1])
    r = sync.push(a, client, "origin", "main")
    assert r.commits == 1          # c1 was already on the server
    b = sync.clone(server.url("ds"), tmp_path / "b", MasterKey.from_hex(KEY_HEX), token,
                   fingerprint=server.fingerprint)
    assert b.refs.read("refs/heads/main") == c2
    report = fsck(b)
    assert report.ok, report


def test_read_token_cannot_push(server, tmp_path):
    from ldv.plumbing.errors import PermissionDenied
    a = make_repo(tmp_path / "a")
    make_commit(a, {"f": b"x"})
    client, _ = connect(server, a, role="read")
    with pytest.raises(PermissionDenied):
        sync.push(a, client, "origin", "main")


def _jsonl(n: int, seed: int = 1) -> list[bytes]:
    import random
    rng = random.Random(seed)
    # A vocabulary of a few hundred words compresses like real text (~3-4x); five
    # words compressed ~8x, so a 1% edit looked large next to the tiny first push.
    words = ["alpha", "beta", "gamma", "delta", "eps"] + [
        "".join(rng.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(rng.randint(3, 9)))
        for _ in range(400)]
    return [('{"id": %d, "text": "%s"}\n' % (i, " ".join(rng.choice(words) for _ in range(30))))
            .encode() for i in range(n)]


def test_second_push_after_a_one_percent_edit_is_small(tmp_path, request):
    """Issue 4's target: < 2% of the first push's bytes (deltas do the work)."""
    import random
    from ldv.porcelain.worktree import Identity, Workspace
    svc = make_services("embedded", tmp_path / "srv", request)
    svc.store.create_repo("ds")
    srv = ServerThread(svc, tmp_path / "srv").start()
    try:
        a = make_repo(tmp_path / "a")
        lines = _jsonl(60000)
        (tmp_path / "a" / "data.jsonl").write_bytes(b"".join(lines))
        me = Identity("t", "t@x")
        ws = Workspace(a)
        ws.add(["data.jsonl"])
        ws.commit("v1", author=me)
        client, _ = connect(srv, a)
        first = sync.push(a, client, "origin", "main")
        rng = random.Random(2)
        for i in rng.sample(range(len(lines)), len(lines) // 100):
            lines[i] = lines[i].replace(b"alpha", b"ALPHA", 1)
        (tmp_path / "a" / "data.jsonl").write_bytes(b"".join(lines))
        ws = Workspace(a)
        ws.add(["data.jsonl"])
        ws.commit("v2", author=me)
        second = sync.push(a, client, "origin", "main")
        assert 0 < second.bytes_sent < 0.02 * first.bytes_sent
    finally:
        srv.stop()


def test_push_killed_at_half_resumes_without_resending(server, tmp_path):
    a = make_repo(tmp_path / "a")
    make_commit(a, {"a.bin": os.urandom(2 << 20), "b.bin": os.urandom(2 << 20)})
    total = sum(p.stat().st_size for p in (tmp_path / "a" / ".ldv" / "objects" / "packs")
                .rglob("*") if p.is_file())
    client, token = connect(server, a)
    client.part_size = 128 << 10
    sent = [0]

    class Killed(Exception):
        pass

    def kill_at_half(label, done, total_):
        sent[0] += 1
        if sent[0] * (128 << 10) >= total / 2:
            raise Killed()

    before = server.svc.metrics.pack_bytes_in
    client.progress = kill_at_half
    with pytest.raises(Killed):
        sync.push(a, client, "origin", "main")
    fresh = sync.connect(sync.get_remote(a, "origin"), token)
    fresh.part_size = 128 << 10
    sync.push(a, fresh, "origin", "main")
    moved = server.svc.metrics.pack_bytes_in - before
    assert moved <= 1.55 * total, (moved, total)
    b = sync.clone(server.url("ds"), tmp_path / "b", MasterKey.from_hex(KEY_HEX), token,
                   fingerprint=server.fingerprint)
    assert fsck(b).ok


def test_shallow_clone_is_fsck_clean_and_can_push_deepen_unshallow(server, tmp_path):
    from ldv.plumbing.errors import BadRevision
    from ldv.plumbing.shallow import read_shallow
    from ldv.porcelain.log import walk
    from ldv.porcelain.revparse import resolve_commit
    from ldv.porcelain.worktree import Identity, Workspace
    a = make_repo(tmp_path / "a")
    client, token = connect(server, a)
    chain: list[bytes] = []
    for i in range(5):          # one push per commit: each brings its own packs
        chain.append(make_commit(a, {"f": os.urandom(50_000), "n": b"%d" % i},
                                 parents=chain[-1:], when=1_700_000_000 + i))
        sync.push(a, client, "origin", "main")
    b = sync.clone(server.url("ds"), tmp_path / "b", MasterKey.from_hex(KEY_HEX), token,
                   fingerprint=server.fingerprint, depth=1)
    assert read_shallow(b) == {chain[-1]} and not b.odb.has(chain[-2])
    report = fsck(b)
    assert report.ok, report.problems()
    assert [e.oid for e in walk(b, [chain[-1]])] == [chain[-1]]
    with pytest.raises(BadRevision, match="shallow"):
        resolve_commit(b, "HEAD~1")
    gc(b)                                   # gc stops at the boundary too
    assert fsck(b).ok and b.odb.has(chain[-1])
    (tmp_path / "b" / "g").write_bytes(b"new in the shallow clone")
    ws = Workspace(b)
    ws.add(["g"])
    mine = ws.commit("on top of a shallow clone", author=Identity("Ada", "ada@x"))
    bclient, _ = connect(server, b)
    assert sync.push(b, bclient, "origin", "main").commits == 1
    sync.fetch(b, bclient, "origin", depth=3)       # deepen: mine, chain[4], chain[3]
    assert read_shallow(b) == {chain[3]} and b.odb.has(chain[3]) and not b.odb.has(chain[2])
    assert fsck(b).ok
    sync.fetch(b, bclient, "origin", unshallow=True)
    assert read_shallow(b) == set() and fsck(b).ok
    assert [e.oid for e in walk(b, [mine])] == [mine, *chain[::-1]]
    fresh = sync.clone(server.url("ds"), tmp_path / "c", MasterKey.from_hex(KEY_HEX), token,
                       fingerprint=server.fingerprint)
    assert fresh.refs.read("refs/heads/main") == mine and fsck(fresh).ok


def test_clone_resumes_after_the_server_restarts(server, tmp_path):
    a = make_repo(tmp_path / "a")
    make_commit(a, {"a.bin": os.urandom(1 << 20), "b.bin": os.urandom(1 << 20)})
    client, token = connect(server, a)
    sync.push(a, client, "origin", "main")
    from ldv.plumbing.repository import Repo
    b = Repo.init(tmp_path / "b", MasterKey.from_hex(KEY_HEX), keyring_file=a.keyring_file())
    bclient, _ = connect(server, b)
    calls = [0]

    def restart_once(label, done, total):
        calls[0] += 1
        if calls[0] == 1:          # the first pack arrived: the server goes away
            server.stop()
            server.start()

    result = sync.fetch(b, bclient, "origin", progress=restart_once)
    assert result.packs >= 2 and calls[0] >= 2
    assert b.refs.read("refs/remotes/origin/main") == a.refs.read("refs/heads/main")
    assert fsck(b).ok


def test_fetch_interrupted_after_the_metadata_pack_completes_when_run_again(server, tmp_path):
    a = make_repo(tmp_path / "a")
    tip = make_commit(a, {"a.bin": os.urandom(1 << 20), "b.bin": os.urandom(1 << 20)})
    client, token = connect(server, a)
    sync.push(a, client, "origin", "main")
    from ldv.plumbing.repository import Repo
    b = Repo.init(tmp_path / "b", MasterKey.from_hex(KEY_HEX), keyring_file=a.keyring_file())
    bclient, _ = connect(server, b)

    class Killed(Exception):
        pass

    def kill_after_first_pack(label, done, total):
        if label == "Fetching packs" and done == 1 and total > 1:
            raise Killed()

    with pytest.raises(Killed):
        sync.fetch(b, bclient, "origin", progress=kill_after_first_pack)
    assert b.odb.has(tip)           # the commit arrived (metadata first), its data not
    again = sync.fetch(b, bclient, "origin")
    assert again.packs >= 1
    assert b.refs.read("refs/remotes/origin/main") == tip
    report = fsck(b)
    assert report.ok, report.problems()
    assert not (tmp_path / "b" / ".ldv" / "sync" / "origin.pending").exists()


def test_interrupted_clone_leaves_nothing_and_runs_again(server, tmp_path):
    a = make_repo(tmp_path / "a")
    tip = make_commit(a, {"a.bin": os.urandom(1 << 20), "b.bin": os.urandom(1 << 20)})
    client, token = connect(server, a)
    sync.push(a, client, "origin", "main")
    key = MasterKey.from_hex(KEY_HEX)

    class Killed(Exception):
        pass

    def kill_after_first_pack(label, done, total):
        if label == "Fetching packs" and done == 1:
            raise Killed()

    with pytest.raises(Killed):
        sync.clone(server.url("ds"), tmp_path / "b", key, token,
                   fingerprint=server.fingerprint, progress=kill_after_first_pack)
    assert not (tmp_path / "b").exists()
    b = sync.clone(server.url("ds"), tmp_path / "b", key, token,
                   fingerprint=server.fingerprint)
    assert b.refs.read("refs/heads/main") == tip and fsck(b).ok


def test_annotated_tags_travel_and_do_not_move(server, tmp_path):
    from ldv.plumbing.objects import Tag, write_tag
    from ldv.plumbing.odb import ObjType
    a = make_repo(tmp_path / "a")
    c1 = make_commit(a, {"f": b"1"})
    client, token = connect(server, a)
    sync.push(a, client, "origin", "main")
    b = sync.clone(server.url("ds"), tmp_path / "b", MasterKey.from_hex(KEY_HEX), token,
                   fingerprint=server.fingerprint)
    tag = write_tag(a.odb, Tag(c1, ObjType.COMMIT, "v1", "T <t@x>", 1_700_000_000, 0, "one"))
    a.odb.flush()
    a.refs.set("refs/tags/v1", tag)
    sync.push(a, client, "origin", "refs/tags/v1")
    bclient, _ = connect(server, b)
    sync.fetch(b, bclient, "origin")          # b has the commit; only the tag is new
    assert b.refs.read("refs/tags/v1") == tag and b.odb.has(tag)
    fresh = sync.clone(server.url("ds"), tmp_path / "c", MasterKey.from_hex(KEY_HEX), token,
                       fingerprint=server.fingerprint)
    assert fresh.refs.read("refs/tags/v1") == tag and fresh.odb.has(tag)
    c2 = make_commit(a, {"f": b"2"}, parents=[c1])
    a.refs.set("refs/tags/v1", c2)
    with pytest.raises(NonFastForward, match="tag"):
        sync.push(a, client, "origin", "refs/tags/v1")


def test_partial_clone_of_one_path_fetches_only_its_data(server, tmp_path):
    from ldv.plumbing.blobs import iter_chunk_ids, read_blob
    from ldv.plumbing.objects import read_commit
    from ldv.plumbing.trees import lookup, walk
    from ldv.porcelain.worktree import Identity, Workspace
    a = make_repo(tmp_path / "a")
    client, token = connect(server, a)
    big = {"skip/huge.bin": os.urandom(3 << 20), "top.bin": os.urandom(200_000)}
    keep = {"keep/a.txt": b"alpha\n" * 1000, "keep/sub/b.bin": os.urandom(300_000)}
    c2 = make_commit(a, {**big, **keep})        # one data pack holds every file
    sync.push(a, client, "origin", "main")
    assert len([k for _n, k in a.odb.index.pack_names() if k == 0]) == 1
    before = server.svc.metrics.bytes_out
    b = sync.clone(server.url("ds"), tmp_path / "b", MasterKey.from_hex(KEY_HEX), token,
                   fingerprint=server.fingerprint, filter_path="keep")
    moved = server.svc.metrics.bytes_out - before
    assert moved < sum(map(len, keep.values())) + 100_000, moved     # not huge.bin
    tree = read_commit(b.odb, c2).tree
    skipped = lookup(b.odb, tree, "skip/huge.bin").oid
    assert not any(b.odb.has(c) for c, _ in iter_chunk_ids(b.odb, skipped))
    assert worktree_files(tmp_path / "b") == keep           # only the path is checked out
    assert b.refs.read("refs/heads/main") == c2 and b.config.get("remote.origin.filter") == "keep"
    report = fsck(b)                      # absent chunks outside the path are not damage
    assert report.ok, report.problems()
    gc(b)
    assert fsck(b).ok and worktree_files(tmp_path / "b") == keep
    ws = Workspace(b)
    assert ws.status().clean, ws.status()                   # absent files are not "deleted"
    (tmp_path / "b" / "keep" / "a.txt").write_bytes(b"changed\n")
    (tmp_path / "b" / "keep" / "new.txt").write_bytes(b"new\n")
    ws.add(["."])
    mine = ws.commit("edit in a partial clone", author=Identity("Ada", "ada@x"), all=True)
    theirs = dict(walk(b.odb, read_commit(b.odb, mine).tree))
    for path in big:                      # the paths outside the filter are unchanged
        assert theirs[path].oid == lookup(b.odb, tree, path).oid
    assert set(theirs) == set(big) | set(keep) | {"keep/new.txt"}
    bclient, _ = connect(server, b)
    assert sync.push(b, bclient, "origin", "main").commits == 1
    full = sync.clone(server.url("ds"), tmp_path / "c", MasterKey.from_hex(KEY_HEX), token,
                      fingerprint=server.fingerprint)
    assert worktree_files(tmp_path / "c") == {**big, **keep, "keep/a.txt": b"changed\n",
                                              "keep/new.txt": b"new\n"}
    assert fsck(full).ok
    assert read_blob(full.odb, lookup(full.odb, tree, "skip/huge.bin").oid) == big["skip/huge.bin"]
    # upstream moves on inside and outside the path; pull brings only the path
    sync.fetch(a, client, "origin")
    later = {"skip/huge.bin": os.urandom(1 << 20), "top.bin": big["top.bin"],
             "keep/a.txt": b"third\n", "keep/c.txt": b"c\n"}
    c3 = make_commit(a, later, parents=[mine])
    sync.push(a, client, "origin", "main")
    assert sync.pull(b, bclient, "origin") == "fast-forward"
    assert b.refs.read("refs/heads/main") == c3
    assert worktree_files(tmp_path / "b") == {"keep/a.txt": b"third\n", "keep/c.txt": b"c\n"}
    huge3 = lookup(b.odb, read_commit(b.odb, c3).tree, "skip/huge.bin").oid
    assert not any(b.odb.has(c) for c, _ in iter_chunk_ids(b.odb, huge3))
    assert Workspace(b).status().clean and fsck(b).ok
    # a branch fetched later brings its path contents; switch checks out only the path
    other = make_commit(a, {**later, "keep/c.txt": b"other\n", "skip/more.bin": b"m"},
                        parents=[c3], branch="refs/heads/other")
    sync.push(a, client, "origin", "other")
    sync.fetch(b, bclient, "origin")
    ws = Workspace(b)
    ws.switch("other", create=True, start=other)
    assert worktree_files(tmp_path / "b") == {"keep/a.txt": b"third\n", "keep/c.txt": b"other\n"}
    assert ws.status().clean and fsck(b).ok
    ws.switch("main")
    assert worktree_files(tmp_path / "b") == {"keep/a.txt": b"third\n", "keep/c.txt": b"c\n"}


def test_pull_of_a_diverged_branch_stops(server, tmp_path):
    from ldv.plumbing.errors import Conflict
    a = make_repo(tmp_path / "a")
    base = make_commit(a, {"f": b"base"})
    ca, token = connect(server, a)
    sync.push(a, ca, "origin", "main")
    b = sync.clone(server.url("ds"), tmp_path / "b", MasterKey.from_hex(KEY_HEX), token,
                   fingerprint=server.fingerprint)
    make_commit(a, {"f": b"theirs"}, parents=[base])
    sync.push(a, ca, "origin", "main")
    mine = make_commit(b, {"f": b"mine"}, parents=[base])
    cb, _ = connect(server, b)
    with pytest.raises(Conflict, match="diverged") as e:
        sync.pull(b, cb, "origin")
    assert e.value.exit_code == 1 and "merge" in e.value.hint
    assert b.refs.read("refs/heads/main") == mine


def test_fetch_of_a_mostly_held_pack_reads_only_the_missing_entries(server, tmp_path):
    from ldv.plumbing.blobs import read_blob
    from ldv.plumbing.objects import read_commit
    from ldv.plumbing.repository import Repo
    from ldv.plumbing.trees import lookup
    a = make_repo(tmp_path / "a")
    big, small = os.urandom(3 << 20), os.urandom(100_000)
    c1 = make_commit(a, {"big.bin": big, "small.bin": small})    # one data pack, both files
    client, token = connect(server, a)
    sync.push(a, client, "origin", "main")
    b = Repo.init(tmp_path / "b", MasterKey.from_hex(KEY_HEX), keyring_file=a.keyring_file())
    make_commit(b, {"big.bin": big})        # same keyring: same chunk ids, held already
    bclient, _ = connect(server, b)
    before = server.svc.metrics.bytes_out
    result = sync.fetch(b, bclient, "origin")
    moved = server.svc.metrics.bytes_out - before
    assert b.refs.read("refs/remotes/origin/main") == c1
    tree = read_commit(b.odb, c1).tree
    assert read_blob(b.odb, lookup(b.odb, tree, "small.bin").oid) == small
    assert read_blob(b.odb, lookup(b.odb, tree, "big.bin").oid) == big
    # the missing 100 kB and the metadata travel, not the 3 MiB pack
    assert moved < len(small) + 300_000, moved
    assert result.bytes_fetched < len(small) + 300_000
    report = fsck(b)
    assert report.ok, report.problems()


def test_pack_spans_are_validated(server, tmp_path):
    from ldv.plumbing.errors import RemoteError
    a = make_repo(tmp_path / "a")
    make_commit(a, {"f": os.urandom(10_000)})
    client, _ = connect(server, a)
    sync.push(a, client, "origin", "main")
    pack = sorted(n for n, _ in a.odb.index.pack_names())[0]
    size = client.pack_info(pack)["size"]
    assert client.read_spans(pack, [(0, 4), (size - 4, 4)]) == [
        client.read_pack(pack, 0, 4), client.read_pack(pack, size - 4, 4)]
    for bad in ([(size - 2, 4)], [(-1, 4)], [(0, 0)]):
        with pytest.raises(RemoteError) as e:
            client.read_spans(pack, bad)
        assert e.value.status == 400


def test_push_from_a_shallow_clone_to_an_empty_remote_is_a_clear_error(server, tmp_path):
    from ldv.plumbing.errors import RepositoryError
    a = make_repo(tmp_path / "a")
    client, token = connect(server, a)
    c1 = make_commit(a, {"f": b"1"})
    sync.push(a, client, "origin", "main")
    make_commit(a, {"f": b"2"}, parents=[c1])
    sync.push(a, client, "origin", "main")
    b = sync.clone(server.url("ds"), tmp_path / "b", MasterKey.from_hex(KEY_HEX), token,
                   fingerprint=server.fingerprint, depth=1)
    server.svc.store.create_repo("empty")
    _id, tok2 = server.svc.store.create_token("empty", "write", "t")
    sync.add_remote(b, "other", server.url("empty"), server.fingerprint)
    other = sync.connect(sync.get_remote(b, "other"), tok2)
    with pytest.raises(RepositoryError, match="shallow") as e:
        sync.push(b, other, "other", "main")
    assert "unshallow" in e.value.hint


def test_depth_is_exact_even_when_older_commits_share_a_pack(server, tmp_path):
    from ldv.plumbing.shallow import read_shallow
    from ldv.porcelain.log import walk
    a = make_repo(tmp_path / "a")
    client, token = connect(server, a)
    chain: list[bytes] = []
    for i in range(5):          # one push: all five commits in the same packs
        chain.append(make_commit(a, {"f": b"v%d" % i}, parents=chain[-1:],
                                 when=1_700_000_000 + i))
    sync.push(a, client, "origin", "main")
    b = sync.clone(server.url("ds"), tmp_path / "b", MasterKey.from_hex(KEY_HEX), token,
                   fingerprint=server.fingerprint, depth=2)
    assert b.odb.has(chain[0])                      # it arrived with the pack ...
    assert read_shallow(b) == {chain[3]}            # ... but history ends at depth 2
    assert [e.oid for e in walk(b, [chain[4]])] == [chain[4], chain[3]]
    assert fsck(b).ok


def test_single_branch_clone_fetches_only_that_branch(server, tmp_path):
    a = make_repo(tmp_path / "a")
    c1 = make_commit(a, {"f": b"main\n"})
    side_only = os.urandom(1 << 20)
    c2 = make_commit(a, {"f": b"main\n", "side.bin": side_only}, parents=[c1],
                     branch="refs/heads/side")
    a.refs.set("refs/tags/on-main", c1)
    a.refs.set("refs/tags/on-side", c2)
    client, token = connect(server, a)
    sync.push(a, client, "origin", "main")
    sync.push(a, client, "origin", "side")
    sync.push(a, client, "origin", "refs/tags/on-main")
    sync.push(a, client, "origin", "refs/tags/on-side")

    b = sync.clone(server.url("ds"), tmp_path / "b", MasterKey.from_hex(KEY_HEX), token,
                   fingerprint=server.fingerprint, single_branch=True)
    assert b.refs.list("refs/remotes/") == {"refs/remotes/origin/main": c1}
    assert b.refs.read("refs/tags/on-main") == c1 and b.refs.read("refs/tags/on-side") is None
    assert not b.odb.has(c2) and worktree_files(tmp_path / "b") == {"f": b"main\n"}
    assert fsck(b).ok
    # later fetches keep to the branch
    make_commit(a, {"f": b"side 2\n", "side.bin": side_only}, parents=[c2],
                branch="refs/heads/side")
    sync.push(a, client, "origin", "side")
    bclient, _ = connect(server, b)
    sync.fetch(b, bclient, "origin")
    assert set(b.refs.list("refs/remotes/")) == {"refs/remotes/origin/main"}
    assert not b.odb.has(c2)
    with pytest.raises(Exception, match="no branch"):
        sync.clone(server.url("ds"), tmp_path / "c", MasterKey.from_hex(KEY_HEX), token,
                   fingerprint=server.fingerprint, branch="nope", single_branch=True)
    assert not (tmp_path / "c").exists()      # refused before anything was written
