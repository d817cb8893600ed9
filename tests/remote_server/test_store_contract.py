"""The metadata-store contract: every test runs on SQLite and on PostgreSQL."""
from __future__ import annotations

import os
import threading

import pytest

from ldv.plumbing.errors import InvalidRefName, NonFastForward, RefConflict
from ldv.remote_server.errors import Forbidden, NotFound, Unauthorized, ValidationFailed
from ldv.remote_server.migrations import latest


def rid() -> str:
    return os.urandom(32).hex()


def push_commits(store, repo, graph: dict[str, list[str]]) -> str:
    """Upload one meta pack holding ``graph``'s commits, then register the graph."""
    pack = rid()
    entries = [(c, i * 10, 10, "meta") for i, c in enumerate(graph)]
    store.register_pack(repo, pack, 10 * len(graph) + 5, "meta", entries)
    store.add_commits(repo, graph, [pack])
    return pack


def chain(n: int, parent: str | None = None) -> dict[str, list[str]]:
    graph, prev = {}, parent
    for _ in range(n):
        c = rid()
        graph[c] = [prev] if prev else []
        prev = c
    return graph


@pytest.fixture
def repo(store):
    store.create_repo("data")
    return "data"


def test_migrations_are_applied_once(store):
    assert store.schema_version() == latest()
    assert store.migrate() == []


def test_repos_create_list_delete(store):
    store.create_repo("b")
    store.create_repo("a")
    assert store.list_repos() == ["a", "b"]
    with pytest.raises(Exception, match="already exists"):
        store.create_repo("a")
    store.delete_repo("a")
    assert store.list_repos() == ["b"]
    with pytest.raises(NotFound):
        store.repo_id("a")
    with pytest.raises(ValidationFailed):
        store.create_repo("../etc")


def test_tokens_are_stored_hashed_and_revocable(store, repo):
    tid, token = store.create_token(repo, "write", "ana")
    assert len(token) > 40
    tok = store.authenticate(token)
    assert (tok.repo, tok.role, tok.user, tok.id) == (repo, "write", "ana", tid)
    assert tok.allows("read") and tok.allows("write") and not tok.allows("admin")
    assert token not in repr(store.list_tokens(repo))
    store.revoke_token(tid)
    with pytest.raises(Unauthorized):
        store.authenticate(token)
    with pytest.raises(Unauthorized):
        store.authenticate("ldv_" + "x" * 43)
    with pytest.raises(NotFound):
        store.revoke_token(tid)


def test_ref_create_update_delete_by_version(store, repo):
    g = chain(3)
    push_commits(store, repo, g)
    a, b, c = list(g)
    assert store.update_ref(repo, "refs/heads/main", expected_version=0, target=a,
                            sealed=b"s1") == 1
    assert store.update_ref(repo, "refs/heads/main", expected_version=1, target=c,
                            sealed=b"s2") == 2
    ref = store.get_ref(repo, "refs/heads/main")
    assert (ref.target, ref.sealed, ref.version) == (c, b"s2", 2)
    with pytest.raises(RefConflict):
        store.update_ref(repo, "refs/heads/main", expected_version=1, target=c)
    with pytest.raises(RefConflict):
        store.update_ref(repo, "refs/heads/main", expected_version=0, target=c)
    assert store.update_ref(repo, "refs/heads/main", expected_version=2, target=None) == 0
    assert store.list_refs(repo) == []


def test_fast_forward_is_enforced_unless_forced(store, repo):
    base = chain(1)
    push_commits(store, repo, base)
    left, right = chain(2, next(iter(base))), chain(2, next(iter(base)))
    push_commits(store, repo, left)
    push_commits(store, repo, right)
    tip_l, tip_r = list(left)[-1], list(right)[-1]
    store.update_ref(repo, "refs/heads/main", expected_version=0, target=tip_l)
    with pytest.raises(NonFastForward):
        store.update_ref(repo, "refs/heads/main", expected_version=1, target=tip_r)
    assert store.update_ref(repo, "refs/heads/main", expected_version=1, target=tip_r,
                            force=True) == 2


def test_protected_branch_refuses_force_and_delete(store, repo):
    g = chain(2)
    push_commits(store, repo, g)
    a, b = list(g)
    store.protect(repo, "main")
    store.update_ref(repo, "refs/heads/main", expected_version=0, target=a)
    store.update_ref(repo, "refs/heads/main", expected_version=1, target=b)
    with pytest.raises(Forbidden):
        store.update_ref(repo, "refs/heads/main", expected_version=2, target=a, force=True)
    with pytest.raises(Forbidden):
        store.update_ref(repo, "refs/heads/main", expected_version=2, target=None)
    assert store.get_ref(repo, "refs/heads/main").target == b


@pytest.mark.parametrize("name", ["refs/heads/../x", "/etc/passwd", "refs/heads/a\x01",
                                  "refs/heads/a b", "refs/heads/.hidden", "refs//x", ""])
def test_bad_ref_names_are_refused(store, repo, name):
    g = chain(1)
    push_commits(store, repo, g)
    with pytest.raises(InvalidRefName):
        store.update_ref(repo, name, expected_version=0, target=next(iter(g)))


def test_ref_must_point_at_a_registered_commit(store, repo):
    with pytest.raises(ValidationFailed):
        store.update_ref(repo, "refs/heads/main", expected_version=0, target=rid())


def test_concurrent_swaps_exactly_one_wins(store, repo):
    base = chain(1)
    push_commits(store, repo, base)
    b0 = next(iter(base))
    store.update_ref(repo, "refs/heads/main", expected_version=0, target=b0)
    tips = []
    for _ in range(4):
        g = chain(1, b0)
        push_commits(store, repo, g)
        tips.append(next(iter(g)))
    results: list = []

    def swap(t):
        try:
            results.append(store.update_ref(repo, "refs/heads/main", expected_version=1,
                                            target=t))
        except (RefConflict, NonFastForward) as e:
            results.append(e)

    threads = [threading.Thread(target=swap, args=(t,)) for t in tips]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    wins = [r for r in results if r == 2]
    assert len(wins) == 1 and len(results) == 4
    assert store.get_ref(repo, "refs/heads/main").target in tips


def test_packs_and_object_lookup(store, repo):
    pack, oids = rid(), [rid() for _ in range(3)]
    entries = [(o, i * 100, 100, "data") for i, o in enumerate(oids)]
    store.register_pack(repo, pack, 400, "data", entries)
    store.register_pack(repo, pack, 400, "data", entries)   # idempotent
    assert store.get_pack(repo, pack).size == 400
    assert [e.oid for e in store.pack_entries(repo, pack)] == oids
    found = store.lookup_objects(repo, oids + [rid()])
    assert set(found) == set(oids)
    assert (found[oids[1]].pack, found[oids[1]].off, found[oids[1]].len) == (pack, 100, 100)
    with pytest.raises(ValidationFailed):
        store.register_pack(repo, rid(), 10, "data", [(rid(), 5, 10, "data")])


def test_graph_registration_is_bottom_up(store, repo):
    g = chain(2)
    a, b = list(g)
    with pytest.raises(ValidationFailed):   # commit objects not uploaded
        store.add_commits(repo, g, [])
    pack = rid()
    store.register_pack(repo, pack, 100, "meta", [(b, 0, 10, "meta")])
    with pytest.raises(ValidationFailed):   # parent a unknown
        store.add_commits(repo, {b: [a]}, [pack])
    with pytest.raises(ValidationFailed):   # pack never uploaded
        store.register_pack(repo, rid(), 100, "meta", [(a, 0, 10, "meta")])
        store.add_commits(repo, g, [rid()])


def test_negotiation_answers_missing_commits_and_their_packs(store, repo):
    g1 = chain(5)
    p1 = push_commits(store, repo, g1)
    g2 = chain(3, list(g1)[-1])
    p2 = push_commits(store, repo, g2)
    tip, old = list(g2)[-1], list(g1)[-1]
    assert store.missing_commits(repo, [tip], [old]) == list(reversed(list(g2)))
    assert set(store.missing_commits(repo, [tip], [])) == set(g1) | set(g2)
    assert store.missing_commits(repo, [tip], [], depth=2) == list(reversed(list(g2)))[:2]
    assert store.missing_commits(repo, [tip], [tip]) == []
    assert store.missing_commits(repo, [tip], [rid()]) != []   # unknown haves ignored
    missing = store.missing_commits(repo, [tip], [old])
    assert [p.name for p in store.packs_for_commits(repo, missing)] == [p2]
    assert {p.name for p in store.packs_for_commits(repo, list(g1) + missing)} == {p1, p2}


def test_merge_history_is_walked_once(store, repo):
    base = chain(1)
    push_commits(store, repo, base)
    b0 = next(iter(base))
    left, right = chain(3, b0), chain(3, b0)
    push_commits(store, repo, left)
    push_commits(store, repo, right)
    merge = {rid(): [list(left)[-1], list(right)[-1]]}
    push_commits(store, repo, merge)
    m = next(iter(merge))
    assert store.is_ancestor(repo, list(right)[0], m)
    assert not store.is_ancestor(repo, list(right)[0], list(left)[-1])
    got = store.missing_commits(repo, [m], [list(left)[-1]])
    assert set(got) == {m} | set(right)


def test_audit_is_append_only(store, repo):
    store.audit(repo, "ana", "ref.update", "refs/heads/main", allowed=True, remote="127.0.0.1")
    store.audit(repo, "bob", "ref.update", "refs/heads/main", allowed=False, detail="403")
    log = store.audit_log(repo)
    assert [(r.actor, r.allowed) for r in log] == [("bob", False), ("ana", True)]
    with pytest.raises(Exception, match="append-only"):
        with store._tx(write=True) as cur:
            cur.execute("DELETE FROM audit")
    with pytest.raises(Exception, match="append-only"):
        with store._tx(write=True) as cur:
            cur.execute("UPDATE audit SET allowed = ?", (True,))
    assert len(store.audit_log(repo)) == 2


def test_migrations_upgrade_an_old_schema(request, tmp_path):
    """A v1 database gains v2's column and v3's table without losing rows."""
    from ldv.remote_server import store as m
    from ldv.remote_server.sqlite import SqliteStore
    store = SqliteStore(tmp_path / "old.sqlite3", pool_size=1)
    original = m.migrations
    m.migrations = lambda dialect: original(dialect)[:1]
    try:
        store.migrate()
        store.create_repo("old")
    finally:
        m.migrations = original
    assert store.schema_version() == 1
    assert store.migrate() == [2, 3]
    pack = rid()
    store.register_pack("old", pack, 10, "data", [(rid(), 0, 10, "data")], part_size=10)
    assert store.get_pack("old", pack).part_size == 10 and store.list_repos() == ["old"]
    store.touch_upload(store.repo_id("old"), pack, 5)
    assert store.uploads(seen_before=6) == [(store.repo_id("old"), pack, 5)]
    store.close()


def test_postgres_renders_the_refs_body_as_the_api_would(pg_store):
    """GET refs on PostgreSQL forwards JSON built by the database: it must equal
    what list_refs gives (names sorted, base64 in one line whatever the length)."""
    import asyncio
    import base64
    import json
    pg_store.create_repo("data")
    assert json.loads(asyncio.run(pg_store.alist_refs_json(pg_store.repo_id("data")))) == \
        {"refs": []}
    g = chain(4)
    push_commits(pg_store, "data", g)
    for i, (c, n) in enumerate(zip(g, (0, 1, 69, 300))):
        pg_store.update_ref("data", f"refs/heads/b{3 - i}", expected_version=0, target=c,
                            sealed=os.urandom(n))
    body = asyncio.run(pg_store.alist_refs_json(pg_store.repo_id("data")))
    want = [{"name": r.name, "target": r.target, "sealed": base64.b64encode(r.sealed).decode(),
             "version": r.version} for r in pg_store.list_refs("data")]
    assert json.loads(body) == {"refs": want}
    assert [r["name"] for r in want] == sorted(r["name"] for r in want)
