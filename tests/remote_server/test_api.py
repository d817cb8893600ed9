"""End to end over HTTPS on loopback: a real uvicorn server, the real wire client,
raw packs of random bytes.  Runs on the embedded backends (local dir + SQLite)
and on the production ones (S3 on SeaweedFS + PostgreSQL)."""
from __future__ import annotations

import os
import threading

import pytest

from ldv.plumbing.backends.local import LocalBackend
from ldv.plumbing.backends.s3 import S3Backend
from ldv.plumbing.errors import (AuthError, NonFastForward, PermissionDenied, RefConflict,
                                 RemoteError)
from ldv.plumbing.wire import RemoteClient
from ldv.remote_server.config import Limits
from ldv.remote_server.services import Services

from .harness import ServerThread, random_pack


def commit_pack(n: int = 1, parent: str | None = None):
    """A meta pack holding ``n`` chained commits: (graph, pack, data, entries)."""
    graph, prev = {}, parent
    for _ in range(n):
        c = os.urandom(32).hex()
        graph[c] = [prev] if prev else []
        prev = c
    pack, data, entries = random_pack(n, 256, "meta", oids=list(graph))
    return graph, pack, data, entries


def push(client: RemoteClient, parent: str | None = None, name="refs/heads/main",
         expected=0, data_size=64 << 10):
    """Bottom-up push of one commit: data pack, meta pack, graph, ref swap."""
    dpack, ddata, dentries = random_pack(4, data_size // 4)
    client.upload_pack(dpack, ddata, "data", dentries)
    graph, mpack, mdata, mentries = commit_pack(1, parent)
    client.upload_pack(mpack, mdata, "meta", mentries)
    client.add_graph(graph, [dpack, mpack])
    tip = list(graph)[-1]
    version = client.update_ref(name, expected_version=expected, target=tip, sealed=b"s")
    return tip, version, {dpack: ddata, mpack: mdata}


def make_services(kind, tmp_path, request, limits=None) -> Services:
    limits = limits or Limits()
    if kind == "embedded":
        from ldv.remote_server.sqlite import SqliteStore
        store = SqliteStore(tmp_path / "meta.sqlite3")
        backend = LocalBackend(tmp_path / "objects")
    else:
        server = request.getfixturevalue("seaweed")
        store = request.getfixturevalue("pg_store")
        backend = S3Backend(server.new_bucket(), endpoint_url=server.endpoint,
                            access_key=server.access_key, secret_key=server.secret_key)
    store.migrate()
    return Services(store=store, backend=backend, limits=limits)


@pytest.fixture(params=["embedded", "production"])
def server(request, tmp_path):
    svc = make_services(request.param, tmp_path, request)
    svc.store.create_repo("data")
    srv = ServerThread(svc, tmp_path).start()
    yield srv
    srv.stop()


def client_for(srv, role="write", repo="data", **kw) -> RemoteClient:
    _id, token = srv.svc.store.create_token(repo, role, "tester")
    return RemoteClient(srv.url(repo), token, fingerprint=srv.fingerprint, **kw)


def test_health_metrics_openapi(server):
    with client_for(server) as c:
        assert c.health()["status"] == "ok"
        assert "ldv_requests_total" in c.request("GET", "/metrics").text
        spec = c.request("GET", "/openapi.json").json()
        assert "/v1/repos/{repo}/refs" in spec["paths"]


def test_push_then_clone_gets_identical_packs(server, tmp_path):
    with client_for(server) as a:
        tip1, v1, packs1 = push(a)
        tip2, v2, packs2 = push(a, tip1, expected=v1)
        assert (v1, v2) == (1, 2)
    with client_for(server, "read") as b:
        refs = b.list_refs()
        assert [(r.name, r.target, r.version) for r in refs] == [("refs/heads/main", tip2, 2)]
        plan = b.negotiate([tip2], [])
        assert plan["commits"] == [tip2, tip1]
        want = packs1 | packs2
        assert {p["pack"] for p in plan["packs"]} == set(want)
        for p in plan["packs"]:
            dest = tmp_path / p["pack"]
            b.download_pack(p["pack"], dest, p["size"])
            assert dest.read_bytes() == want[p["pack"]]
        assert b.known_commits([tip1, tip2, "0" * 64]) == {tip1, tip2}
        # an incremental fetch only gets the second push
        again = b.negotiate([tip2], [tip1], entries=True)
        assert again["commits"] == [tip2]
        assert {p["pack"] for p in again["packs"]} == set(packs2)
        assert all(p["entries"] for p in again["packs"])


def test_ranged_reads_and_batched_objects(server):
    with client_for(server) as c:
        pack, data, entries = random_pack(8, 1000)
        c.upload_pack(pack, data, "data", entries)
        assert c.read_pack(pack, 1500, 700) == data[1500:2200]
        assert c.read_pack(pack) == data
        found = c.lookup([e[0] for e in entries] + [os.urandom(32).hex()])
        assert len(found) == 8 and found[entries[3][0]] == (pack, 3000, 1000, "data")
        ids = [entries[5][0], entries[1][0]]
        got = c.read_objects(ids, {o: found[o][2] for o in ids})
        assert got[ids[0]] == data[5000:6000] and got[ids[1]] == data[1000:2000]
        with pytest.raises(RemoteError) as e:
            c.read_pack(pack, len(data) + 10, 5)
        assert e.value.code == "bad_range"


def test_concurrent_pushes_exactly_one_wins(server):
    with client_for(server) as c:
        base, v, _ = push(c)
    results, barrier = [], threading.Barrier(2)

    def racer():
        with client_for(server) as c:
            dpack, ddata, dentries = random_pack(2, 1024)
            c.upload_pack(dpack, ddata, "data", dentries)
            graph, mpack, mdata, mentries = commit_pack(1, base)
            c.upload_pack(mpack, mdata, "meta", mentries)
            c.add_graph(graph, [dpack, mpack])
            barrier.wait(10)
            try:
                results.append(c.update_ref("refs/heads/main", expected_version=v,
                                            target=list(graph)[0]))
            except (RefConflict, NonFastForward) as e:
                results.append(e)

    threads = [threading.Thread(target=racer) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert sorted(type(r).__name__ for r in results) in (["RefConflict", "int"],
                                                          ["NonFastForward", "int"])
    with client_for(server, "read") as c:
        (ref,) = c.list_refs()
        assert ref.version == 2 and base in c.negotiate([ref.target])["commits"]


def test_non_fast_forward_is_refused_and_force_allowed(server):
    with client_for(server) as c:
        base, v, _ = push(c)
        tip, v, _ = push(c, base, expected=v)
        graph, mpack, mdata, mentries = commit_pack(1, base)
        c.upload_pack(mpack, mdata, "meta", mentries)
        c.add_graph(graph, [mpack])
        side = list(graph)[0]
        with pytest.raises(NonFastForward):
            c.update_ref("refs/heads/main", expected_version=v, target=side)
        assert c.update_ref("refs/heads/main", expected_version=v, target=side,
                            force=True) == v + 1


def test_interrupted_upload_resumes_without_resending(server):
    pack, data, entries = random_pack(16, 64 << 10)       # 1 MiB + 64 bytes, 17 parts
    part = 64 << 10
    before = server.svc.metrics.pack_bytes_in

    class Killed(Exception):
        pass

    def kill_at_half(label, done, total):
        if done >= total // 2:
            raise Killed()

    with client_for(server, part_size=part, progress=kill_at_half) as c:
        with pytest.raises(Killed):
            c.upload_pack(pack, data, "data", entries)
        assert c.lookup([entries[0][0]]) == {}               # nothing registered yet
    with client_for(server, part_size=part) as c:
        sent = c.upload_pack(pack, data, "data", entries)
        assert sent <= 0.55 * len(data)
        assert c.read_pack(pack) == data
    total = server.svc.metrics.pack_bytes_in - before
    assert total <= 1.55 * len(data)


def test_corrupt_pack_is_refused_and_never_registered(server):
    with client_for(server) as c:
        pack, data, entries = random_pack(2, 512)
        bad = bytearray(data)
        bad[10] ^= 1
        with pytest.raises(RemoteError) as e:
            c.upload_pack(pack, bytes(bad), "data", entries)
        assert e.value.code == "corrupt_pack" and e.value.status == 422
        assert c.lookup([entries[0][0]]) == {}


def test_graph_needs_its_packs_first(server):
    with client_for(server) as c:
        graph, mpack, mdata, mentries = commit_pack(1)
        with pytest.raises(RemoteError) as e:
            c.add_graph(graph, [])
        assert e.value.code == "missing_objects"
        with pytest.raises(RemoteError) as e:
            c.update_ref("refs/heads/main", expected_version=0, target=list(graph)[0])
        assert e.value.code == "missing_commit"


def test_roles_and_tokens_are_enforced_and_audited(server):
    with client_for(server, "read") as r:
        with pytest.raises(PermissionDenied):
            r.update_ref("refs/heads/main", expected_version=0, target="a" * 64)
        assert r.list_refs() == []
    with RemoteClient(server.url("data"), "ldv_bogus", fingerprint=server.fingerprint) as u:
        with pytest.raises(AuthError) as e:
            u.list_refs()
        assert not isinstance(e.value, PermissionDenied)
    server.svc.store.create_repo("other")
    with client_for(server, "admin", repo="other") as o:
        with RemoteClient(server.url("data"), o.token, fingerprint=server.fingerprint) as x:
            with pytest.raises(PermissionDenied):
                x.list_refs()
    log = server.svc.store.audit_log("data")
    denied = [(a.action, a.detail) for a in log if not a.allowed]
    assert ("ref.update", "403 forbidden") in denied
    assert ("refs.list", "401 unauthorized") in denied
    assert ("refs.list", "403 forbidden") in denied


def test_ref_changes_are_audited(server):
    with client_for(server) as c:
        tip, _, _ = push(c)
    (rec,) = [a for a in server.svc.store.audit_log("data") if a.action == "ref.update"]
    assert rec.allowed and rec.target == "refs/heads/main" and tip in rec.detail
    assert rec.remote == "127.0.0.1" and rec.actor.startswith("tester#")


@pytest.mark.parametrize("name", ["refs/heads/../../etc", "/abs", "refs/heads/a\x07b"])
def test_bad_ref_names_are_400(server, name):
    with client_for(server) as c:
        tip, v, _ = push(c)
        with pytest.raises(RemoteError) as e:
            c.update_ref(name, expected_version=0, target=tip)
        assert (e.value.status, e.value.code) == (400, "invalid_ref_name")


def test_protected_branch_refuses_delete(server):
    server.svc.store.protect("data", "main")
    with client_for(server) as c:
        tip, v, _ = push(c)
        with pytest.raises(PermissionDenied) as e:
            c.update_ref("refs/heads/main", expected_version=v, target=None)
        assert "protected" in str(e.value)


def test_keyring_round_trip(server):
    with client_for(server) as c:
        assert c.get_keyring() is None
        c.put_keyring(b"\x01opaque keyring")
        assert c.get_keyring() == b"\x01opaque keyring"


def test_errors_are_json_with_stable_codes(server):
    with client_for(server) as c:
        r = c._http.post(c._path("/negotiate"), content=b"{not json")
        assert r.status_code == 400 and r.json()["error"]["code"] == "bad_request"
        r = c._http.get("/v1/nowhere")
        assert r.status_code == 404 and r.json()["error"]["code"] == "not_found"
        r = c._http.post(c._path("/objects/lookup"), json={"ids": ["xyz"]})
        assert r.json()["error"]["code"] == "bad_id"


def test_server_restart_mid_clone_resumes(server, tmp_path):
    with client_for(server) as c:
        pack, data, entries = random_pack(8, 512 << 10)    # 4 MiB
        c.upload_pack(pack, data, "data", entries)
    dest = tmp_path / "partial"
    with client_for(server, "read") as c:
        with open(dest, "wb") as f:
            f.write(c.read_pack(pack, 0, len(data) // 2))
        server.stop()
        server.start()
        fetched = c.download_pack(pack, dest, len(data))
    assert fetched == len(data) - len(data) // 2
    assert dest.read_bytes() == data


def test_renewed_certificate_with_the_same_key_stays_pinned(server, tmp_path):
    from ldv.remote_server.tls import init_tls
    with client_for(server) as c:
        assert c.list_refs() == []
        server.stop()
        cert_before = server.cert.read_bytes()
        _cert, _key, fp = init_tls(tmp_path, ["127.0.0.1"])
        assert fp == server.fingerprint and server.cert.read_bytes() != cert_before
        server.start()
        assert c.list_refs() == []          # re-pinned on the new certificate


def test_plain_http_is_refused_for_remote_hosts():
    from ldv.plumbing.errors import BadInput
    with pytest.raises(BadInput):
        RemoteClient("http://example.com/data")


def test_wrong_pinned_fingerprint_is_refused(server):
    with pytest.raises(AuthError, match="pinned"):
        RemoteClient(server.url("data"), "t", fingerprint="ab" * 32)


def test_unpinned_self_signed_certificate_is_refused(server):
    from ldv.plumbing.errors import NetworkError
    with pytest.raises(NetworkError):
        RemoteClient(server.url("data"), "t", retries=0).list_refs()


def test_limits_body_size_and_rate(tmp_path, request):
    svc = make_services("embedded", tmp_path, request,
                        Limits(max_part_bytes=1000, rate_per_token=1.0, burst_per_token=5))
    svc.store.create_repo("data")
    srv = ServerThread(svc, tmp_path).start()
    try:
        with client_for(srv, retries=0) as c:
            with pytest.raises(RemoteError) as e:
                c.request("PUT", "/uploads/" + "a" * 64 + "/0", content=os.urandom(2000))
            assert (e.value.status, e.value.code) == (413, "too_large")
            codes = []
            for _ in range(8):
                try:
                    c.list_refs()
                    codes.append(200)
                except RemoteError as err:
                    codes.append(err.status)
            assert 429 in codes and codes[0] == 200
        assert any(a.detail == "429 rate_limited" for a in svc.store.audit_log("data"))
    finally:
        srv.stop()


def test_parts_must_be_uniform_and_add_up(server):
    with client_for(server) as c:
        pack, data, entries = random_pack(3, 1000)
        c.request("PUT", f"/uploads/{pack}/0", content=data[:1000])
        c.request("PUT", f"/uploads/{pack}/1", content=data[1000:])
        with pytest.raises(RemoteError) as e:
            c.request("POST", "/packs", json={"pack": pack, "size": len(data), "kind": "data",
                                              "parts": 2, "entries": entries})
        assert e.value.code == "corrupt_pack"
        # part 0 is reused; the odd-sized part 1 is replaced
        assert c.upload_pack(pack, data, "data", entries, part_size=1000) == len(data) - 1000
        assert c.read_pack(pack, 900, 1200) == data[900:2100]     # a read across parts


def test_s3_packs_download_straight_from_the_store(server, tmp_path):
    with client_for(server) as c:
        pack, data, entries = random_pack(4, 300_000)
        c.upload_pack(pack, data, "data", entries, part_size=256 << 10)
        before = server.svc.metrics.bytes_out
        dest = tmp_path / "p"
        with open(dest, "wb") as f:
            f.write(data[:100_000])                        # a broken earlier download
        c.download_pack(pack, dest, len(data))
        assert dest.read_bytes() == data
        through_server = server.svc.metrics.bytes_out - before
        if isinstance(server.svc.backend, S3Backend):
            assert through_server == 0 and c._direct is not False
        else:
            assert through_server == len(data) - 100_000 and c._direct is False
