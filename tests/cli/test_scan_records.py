"""PII findings stored with commits (porcelain/pii/records.py): META objects named
by a `pii` lineage record, kept by gc, checked by fsck, carried by push and
clone, and read back by `ldv scan REV` without presidio."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import time

import pytest

from ldv.api import Repository
from ldv.plumbing.objects import Commit, read_commit, write_commit
from ldv.plumbing.odb import ObjType
from ldv.porcelain import maintenance
from ldv.porcelain.pii.records import RECORD_TYPE, decode_findings
from tests.cli.conftest import IDENTITY, Ldv
from tests.cli.test_scan import _dataset, _raw_values, values  # noqa: F401 (fixture)
from tests.remote_server.harness import ServerThread
from tests.remote_server.test_api import make_services

KEY = "33" * 32


def _env(tmp_path, token=None) -> dict:
    return {"XDG_CONFIG_HOME": str(tmp_path / "config"), "LDV_MASTER_KEY": KEY,
            "LDV_TOKEN": token, "LDV_PASSPHRASE": None, "LDV_DEBUG": None, **IDENTITY}


def _repo(ldv):
    return Repository.open(ldv.root, key=KEY)._repo


def _records(repo, rev: bytes) -> list[dict]:
    return [r for r in read_commit(repo.odb, rev).lineage if r.get("type") == RECORD_TYPE]


def _warned_repo(ldv, values):
    ldv("init", "-q")
    _dataset(ldv, values)
    ldv("config", "set", "pii.on_commit", "warn")
    ldv("add", ".")
    ldv("commit", "-q", "-m", "data")
    return ldv


def _no_raw_bytes(root, values) -> int:
    """Every file under ``root``, checked for the raw values; returns the count."""
    files = [f for f in root.rglob("*") if f.is_file()]
    for f in files:
        data = f.read_bytes()
        assert [v for v in _raw_values(values) if v.encode() in data] == [], f
    return len(files)


def test_gate_stores_findings_as_meta_objects_gc_keeps_them(tmp_path, values):
    (tmp_path / "ds").mkdir()
    ldv = _warned_repo(Ldv(tmp_path / "ds", _env(tmp_path)), values)
    repo = _repo(ldv)
    head = repo.refs.read("HEAD")
    [record] = _records(repo, head)
    from ldv.plumbing.trees import walk
    blobs = {e.oid.hex(): p for p, e in walk(repo.odb, read_commit(repo.odb, head).tree)}
    assert set(record["findings"]) == set(blobs)          # every scanned file, by blob id
    entities = set()
    for blob, meta in record["findings"].items():
        kind, data = repo.odb.get(bytes.fromhex(meta))
        assert kind == ObjType.META
        options, found = decode_findings(data, blobs[blob])
        assert options == record["options"]
        entities |= {(f.path, f.entity) for f in found}
    assert ("chat.jsonl", "EMAIL_ADDRESS") in entities
    assert ("chat.jsonl", "CREDIT_CARD") in entities and ("notes.txt", "IBAN_CODE") in entities
    metas = {bytes.fromhex(m) for m in record["findings"].values()}
    assert metas <= maintenance.reachable(repo, [head])
    ldv("gc", "-q")
    repo = _repo(ldv)
    assert all(repo.odb.has(m) for m in metas)
    assert ldv("fsck").exit_code == 0
    # Without the local cache, `scan HEAD` answers from the records.
    cached = json.loads(ldv("scan", "HEAD", "--format", "json").stdout)["findings"]
    import shutil
    shutil.rmtree(ldv.root / ".ldv" / "pii")
    assert json.loads(ldv("scan", "HEAD", "--format", "json").stdout)["findings"] == cached
    assert _no_raw_bytes(ldv.root / ".ldv", values) > 3


def test_block_and_off_record_nothing(tmp_path, values):
    (tmp_path / "ds").mkdir()
    ldv = Ldv(tmp_path / "ds", _env(tmp_path))
    ldv("init", "-q")
    _dataset(ldv, values)
    ldv("add", ".")
    ldv("commit", "-q", "-m", "gate off")
    repo = _repo(ldv)
    assert _records(repo, repo.refs.read("HEAD")) == []
    ldv("config", "set", "pii.on_commit", "block")
    ldv.write("more.txt", f"write to {values['email']}\n")
    ldv("add", "more.txt")
    ldv("commit", "-q", "-m", "refused", code=1)
    ldv.write("more.txt", "nothing here\n")
    ldv("add", "more.txt")
    ldv("commit", "-q", "-m", "clean")
    repo = _repo(ldv)
    [record] = _records(repo, repo.refs.read("HEAD"))
    assert len(record["findings"]) == 1         # only the file the commit changed
    _kind, data = repo.odb.get(bytes.fromhex(next(iter(record["findings"].values()))))
    assert decode_findings(data, "more.txt")[1] == []


def test_fsck_reports_a_missing_findings_object(tmp_path, values):
    (tmp_path / "ds").mkdir()
    ldv = _warned_repo(Ldv(tmp_path / "ds", _env(tmp_path)), values)
    repo = _repo(ldv)
    head = read_commit(repo.odb, repo.refs.read("HEAD"))
    gone = bytes(range(32))
    bad = Commit(tree=head.tree, parents=[], author="a", author_time=0, author_tz=0,
                 committer="a", commit_time=0, commit_tz=0, message="x\n",
                 lineage=[{"type": "pii", "version": 1, "options": "k",
                           "findings": {"00" * 32: gone.hex()}}])
    oid = write_commit(repo.odb, bad)
    missing: list = []
    maintenance.reachable(repo, [oid], missing=missing)
    assert [m for m, _why in missing] == [gone]


def test_run_commit_carries_run_and_pii_records(tmp_path, values):
    (tmp_path / "ds").mkdir()
    ldv = _warned_repo(Ldv(tmp_path / "ds", _env(tmp_path)), values)
    copy = "import sys; open(sys.argv[2], 'w').write(open(sys.argv[1]).read())"
    ldv("run", "-q", "-i", "notes.txt", "-o", "copy.txt", "--", sys.executable, "-c", copy,
        "notes.txt", "copy.txt")
    repo = _repo(ldv)
    lineage = read_commit(repo.odb, repo.refs.read("HEAD")).lineage
    assert [r["type"] for r in lineage] == ["run", "pii"]
    doc = json.loads(ldv("lineage", "copy.txt", "--format", "json").output)
    assert [a["kind"] for a in doc["artifacts"]] == ["run", "source"]
    found = json.loads(ldv("scan", "HEAD", "--format", "json", "--", "copy.txt").stdout)
    assert [f["entity"] for f in found["findings"]] == ["IBAN_CODE"]


@pytest.fixture
def server(tmp_path, request):
    svc = make_services("embedded", tmp_path / "srv", request)
    svc.store.create_repo("ds")
    srv = ServerThread(svc, tmp_path / "srv").start()
    yield srv
    srv.stop()


def _scan_in_subprocess(root, env: dict, *rev: str) -> list[dict]:
    """`ldv scan [REV]` in a fresh interpreter; fails if presidio was imported."""
    script = textwrap.dedent(f"""
        import sys
        from ldv.cli.main import cli
        code = cli.main(args=["-C", {str(root)!r}, "scan", *{list(rev)!r}, "--format", "json"],
                        standalone_mode=False)
        sys.stderr.write("PRESIDIO LOADED\\n" if "presidio_analyzer" in sys.modules else "")
        sys.exit(code)
    """)
    e = {k: v for k, v in os.environ.items() if k not in env}
    e.update({k: v for k, v in env.items() if v is not None})
    p = subprocess.run([sys.executable, "-c", script], env=e, capture_output=True,
                       text=True, timeout=300)
    assert p.returncode == 0, p.stderr
    assert "PRESIDIO LOADED" not in p.stderr
    return json.loads(p.stdout)["findings"]


def test_clone_scans_recorded_files_without_presidio(server, tmp_path, values):
    _id, token = server.svc.store.create_token("ds", "write", "ada")
    env = _env(tmp_path, token)
    (tmp_path / "a").mkdir()
    a = _warned_repo(Ldv(tmp_path / "a", env), values)
    a.write("notes.txt", f"hello\nmail {values['email2']} later\n")
    a("add", "notes.txt")
    a("commit", "-q", "-m", "notes")      # chat.jsonl etc. recorded by the first commit only
    a("remote", "add", "origin", server.url("ds"), "--fingerprint", server.fingerprint)
    a("push")
    a("clone", server.url("ds"), str(tmp_path / "b"), "--fingerprint", server.fingerprint)
    b = Ldv(tmp_path / "b", env)
    assert not [f for f in (b.root / ".ldv").rglob("pii/*/*") if f.is_file()]
    expected = json.loads(a("scan", "HEAD", "--format", "json").stdout)["findings"]
    assert {f["path"] for f in expected} >= {"chat.jsonl", "notes.txt", "users.csv"}
    assert _scan_in_subprocess(b.root, env, "HEAD") == expected
    assert b("fsck").exit_code == 0
    b("gc", "-q")
    import shutil
    shutil.rmtree(b.root / ".ldv" / "pii")      # the records alone, after gc
    assert _scan_in_subprocess(b.root, env, "HEAD") == expected
    # A work-tree scan: files whose stat matches the index are HEAD's blobs.
    time.sleep(0.3)                         # past the racy window of the checkout
    b("add", ".")                           # re-verify the index entries
    shutil.rmtree(b.root / ".ldv" / "pii")
    assert _scan_in_subprocess(b.root, env) == expected
    for root in (tmp_path / "srv", a.root / ".ldv", b.root / ".ldv"):
        assert _no_raw_bytes(root, values) > 2
