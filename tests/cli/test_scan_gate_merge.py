"""The PII commit gate runs on the commits merge, cherry-pick and revert make, as
on `ldv commit`: block stops them (resumable), warn prints and records findings."""
from __future__ import annotations

import json

from ldv.api import Repository
from ldv.plumbing.objects import read_commit
from ldv.porcelain.pii.records import RECORD_TYPE
from tests.cli.conftest import IDENTITY, Ldv
from tests.cli.test_scan import values  # noqa: F401 (fixture)

KEY = "44" * 32


def _ldv(tmp_path) -> Ldv:
    (tmp_path / "ds").mkdir()
    env = {"XDG_CONFIG_HOME": str(tmp_path / "config"), "LDV_MASTER_KEY": KEY,
           "LDV_PASSPHRASE": None, "LDV_DEBUG": None, **IDENTITY}
    ldv = Ldv(tmp_path / "ds", env)
    ldv("init", "-q")
    ldv.write("a.txt", "alpha\n")
    ldv("add", ".")
    ldv("commit", "-q", "-m", "base")
    return ldv


def _side_branch_with_pii(ldv, email: str) -> None:
    """`side` adds a JSONL file with an email; main moves on (no fast-forward)."""
    ldv("branch", "side")
    ldv("switch", "-q", "side")
    ldv.write("chat.jsonl", json.dumps({"t": f"mail {email} now"}) + "\n")
    ldv("add", ".")
    ldv("commit", "-q", "-m", "pii on side")     # gate off while making it
    ldv("switch", "-q", "main")
    ldv.write("b.txt", "beta\n")
    ldv("add", ".")
    ldv("commit", "-q", "-m", "main moves")


def _head_records(ldv) -> list[dict]:
    repo = Repository.open(ldv.root, key=KEY)._repo
    head = repo.refs.read("HEAD")
    return [r for r in read_commit(repo.odb, head).lineage if r.get("type") == RECORD_TYPE]


def test_block_stops_a_clean_merge_which_can_be_aborted(tmp_path, values):
    ldv = _ldv(tmp_path)
    _side_branch_with_pii(ldv, values["email"])
    head = ldv("rev-parse", "HEAD").stdout.strip()
    ldv("config", "set", "pii.on_commit", "block")
    r = ldv("merge", "side", "-m", "merge side", code=1)
    assert "merge stopped: commit refused" in r.stderr and "EMAIL_ADDRESS" in r.stderr
    assert "ldv merge --abort" in r.stderr
    assert values["email"] not in r.stdout + r.stderr
    assert ldv("rev-parse", "HEAD").stdout.strip() == head      # no commit made
    ldv("merge", "--abort")
    assert not (ldv.root / "chat.jsonl").exists()
    assert ldv("rev-parse", "HEAD").stdout.strip() == head


def test_block_stopped_merge_continues_once_fixed(tmp_path, values):
    ldv = _ldv(tmp_path)
    _side_branch_with_pii(ldv, values["email"])
    ldv("config", "set", "pii.on_commit", "block")
    ldv("merge", "side", "-m", "merge side", code=1)
    ldv("merge", "--continue", code=1)                     # still there: refused again
    ldv.write("chat.jsonl", json.dumps({"t": "mail someone now"}) + "\n")
    ldv("add", "chat.jsonl")
    ldv("merge", "--continue")
    parents = ldv("log", "--format", "%P", "-n", "1").stdout.split()
    assert len(parents) == 2


def test_warn_merge_prints_and_records_findings(tmp_path, values):
    ldv = _ldv(tmp_path)
    _side_branch_with_pii(ldv, values["email"])
    ldv("config", "set", "pii.on_commit", "warn")
    r = ldv("merge", "side", "-m", "merge side")
    assert "warning: PII: chat.jsonl:1 $.t EMAIL_ADDRESS" in r.stderr
    assert values["email"] not in r.stdout + r.stderr
    [record] = _head_records(ldv)
    assert len(record["findings"]) == 1                    # the one blob the merge adds


def test_block_stops_cherry_pick(tmp_path, values):
    ldv = _ldv(tmp_path)
    _side_branch_with_pii(ldv, values["email"])
    head = ldv("rev-parse", "HEAD").stdout.strip()
    ldv("config", "set", "pii.on_commit", "block")
    r = ldv("cherry-pick", "side", code=1)
    assert "cherry-pick stopped: commit refused" in r.stderr
    assert ldv("rev-parse", "HEAD").stdout.strip() == head
    ldv("cherry-pick", "--abort")
    assert not (ldv.root / "chat.jsonl").exists()
