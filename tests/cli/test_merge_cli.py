"""ldv merge / cherry-pick / revert / checkout --ours|--theirs / status during a
merge / pull of a diverged branch, through the CLI: output, exit codes, files."""
from __future__ import annotations

import json

import pytest

from .conftest import IDENTITY, Ldv


def diverge(ldv, ours: str, theirs: str, path: str = "a.txt", branch: str = "side") -> None:
    ldv("switch", "-q", "-c", branch)
    ldv.write(path, theirs)
    ldv("commit", "-q", "-a", "-m", "theirs")
    ldv("switch", "-q", "main")
    ldv.write(path, ours)
    ldv("commit", "-q", "-a", "-m", "ours")


def test_conflict_status_resolve_continue_and_graph(repo):
    diverge(repo, "alpha\nOURS\n", "alpha\nTHEIRS\n")
    r = repo("merge", "side", code=1)
    assert "Auto-merging a.txt\nCONFLICT (content): Merge conflict in a.txt\n" in r.stdout
    assert "Automatic merge failed; fix conflicts and then commit the result." in r.stderr
    assert (repo.root / "a.txt").read_text() == \
        "alpha\n<<<<<<< HEAD\nOURS\n=======\nTHEIRS\n>>>>>>> side\n"
    assert repo("status", "--porcelain").stdout == "UU a.txt\n"
    long = repo("status").stdout
    assert "Unmerged paths:" in long and "both modified:   a.txt" in long
    r = repo("merge", "--continue", code=1)
    assert "unmerged" in r.stderr
    repo("checkout", "--theirs", "a.txt")
    assert (repo.root / "a.txt").read_text() == "alpha\nTHEIRS\n"
    repo("add", "a.txt")
    assert repo("status", "--porcelain").stdout == "M  a.txt\n"
    repo("merge", "--continue")
    parents = repo("rev-parse", "HEAD^1", "HEAD^2").stdout.split()
    assert parents[1] == repo("rev-parse", "side").stdout.strip()
    graph = repo("log", "--graph", "--oneline").stdout
    assert "Merge branch 'side'" in graph and "|\\" in graph
    assert repo("status", "--porcelain").stdout == ""


def test_fast_forward_and_ff_only(repo):
    repo("switch", "-q", "-c", "side")
    repo.write("new.txt", "n\n")
    repo("add", "new.txt")
    repo("commit", "-q", "-m", "new")
    repo("switch", "-q", "main")
    r = repo("merge", "side")
    assert "Fast-forward" in r.stdout and (repo.root / "new.txt").exists()
    assert repo("merge", "side").stdout == "Already up to date.\n"
    diverge(repo, "alpha\nO\n", "alpha\nT\n", branch="side2")
    r = repo("merge", "--ff-only", "side2", code=1)
    assert "Not possible to fast-forward" in r.stderr
    repo("merge", "--no-ff", "--ff-only", "side2", code=2)


def test_no_ff_with_message(repo):
    repo("switch", "-q", "-c", "side")
    repo.write("new.txt", "n\n")
    repo("add", "new.txt")
    repo("commit", "-q", "-m", "new")
    repo("switch", "-q", "main")
    r = repo("merge", "--no-ff", "-m", "join side", "side")
    assert "Merge made by the three-way strategy." in r.stdout
    assert "join side" in repo("log", "-n", "1").stdout


def test_abort_puts_files_back(repo):
    diverge(repo, "alpha\nO\n", "alpha\nT\n")
    before = (repo.root / "a.txt").read_bytes()
    repo("merge", "side", code=1)
    repo("merge", "--abort")
    assert (repo.root / "a.txt").read_bytes() == before
    assert repo("status", "--porcelain").stdout == ""
    r = repo("merge", "--abort", code=3)
    assert "no merge in progress" in r.stderr


def test_record_conflict_prints_keys(repo):
    rows = "".join(json.dumps({"id": i, "v": 0}) + "\n" for i in range(1, 5))
    repo.write(".ldvattributes", "data/*.jsonl merge=records key=id\n")
    repo.write("data/rows.jsonl", rows)
    repo("add", ".")
    repo("commit", "-q", "-m", "rows")
    diverge(repo, rows.replace('"id": 2, "v": 0', '"id": 2, "v": 1')
            .replace('"id": 4, "v": 0', '"id": 4, "v": 4'),
            rows.replace('"id": 2, "v": 0', '"id": 2, "v": 2'), path="data/rows.jsonl")
    r = repo("merge", "side", code=1)
    assert "CONFLICT (records): 1 record(s) conflict in data/rows.jsonl: id=2" in r.stdout
    assert '{"id": 4, "v": 4}' in (repo.root / "data/rows.jsonl").read_text()


def test_cherry_pick_and_revert(repo):
    repo("switch", "-q", "-c", "side")
    repo.write("fix.txt", "fix\n")
    repo("add", "fix.txt")
    repo("commit", "-q", "-m", "the fix")
    repo("switch", "-q", "main")
    r = repo("cherry-pick", "side")
    assert "the fix" in r.stdout and (repo.root / "fix.txt").read_text() == "fix\n"
    r = repo("cherry-pick", "side", code=1)
    assert "empty" in r.stderr
    repo("revert", "HEAD")
    assert not (repo.root / "fix.txt").exists()
    assert 'Revert "the fix"' in repo("log", "-n", "1").stdout


def test_cherry_pick_conflict_abort(repo):
    diverge(repo, "alpha\nO\n", "alpha\nT\n")
    r = repo("cherry-pick", "side", code=1)
    assert "CONFLICT (content)" in r.stdout
    assert repo("status", "--porcelain").stdout == "UU a.txt\n"
    repo("cherry-pick", "--abort")
    assert (repo.root / "a.txt").read_text() == "alpha\nO\n"


def test_pull_merges_a_diverged_branch(tmp_path, request):
    from tests.remote_server.harness import ServerThread
    from tests.remote_server.test_api import make_services
    svc = make_services("embedded", tmp_path / "srv", request)
    svc.store.create_repo("ds")
    srv = ServerThread(svc, tmp_path / "srv").start()
    try:
        _id, token = svc.store.create_token("ds", "write", "ada")
        env = {"XDG_CONFIG_HOME": str(tmp_path / "config"), "LDV_MASTER_KEY": "33" * 32,
               "LDV_TOKEN": token, **IDENTITY}
        (tmp_path / "a").mkdir()
        a = Ldv(tmp_path / "a", env)
        a("init", "-q")
        a.write("f.txt", "1\n2\n3\n4\n5\n")
        a("add", ".")
        a("commit", "-q", "-m", "base")
        a("remote", "add", "origin", srv.url("ds"), "--fingerprint", srv.fingerprint)
        a("push", "-q")
        a("clone", "-q", srv.url("ds"), str(tmp_path / "b"), "--fingerprint", srv.fingerprint)
        b = Ldv(tmp_path / "b", env)
        a.write("f.txt", "A\n2\n3\n4\n5\n")
        a("commit", "-q", "-a", "-m", "from a")
        a("push", "-q")
        b.write("f.txt", "1\n2\n3\n4\nB\n")
        b("commit", "-q", "-a", "-m", "from b")
        assert "merge" in b("pull").stdout
        assert (tmp_path / "b" / "f.txt").read_text() == "A\n2\n3\n4\nB\n"
        assert len(b("rev-parse", "HEAD^2").stdout.strip()) == 64
        b("push", "-q")
    finally:
        srv.stop()


@pytest.mark.parametrize("args", [["merge"], ["merge", "--abort", "side"],
                                  ["cherry-pick"], ["revert", "--abort", "--continue"]])
def test_usage_errors(repo, args):
    assert repo(*args, code=2).exit_code == 2


def test_python_api_merge(repo, monkeypatch):
    import ldv
    from ldv.plumbing.errors import MergeConflict
    monkeypatch.setenv("XDG_CONFIG_HOME", repo.env["XDG_CONFIG_HOME"])
    diverge(repo, "alpha\nO\n", "alpha\nT\n")
    with ldv.Repository.open(repo.root) as r:
        with pytest.raises(MergeConflict) as ei:
            r.merge("side")
        assert [c.code for c in ei.value.outcome.conflicts] == ["UU"]
        r.merge_abort()
        assert (repo.root / "a.txt").read_text() == "alpha\nO\n"
        out = r.revert("HEAD")
        assert out.kind == "merge" and (repo.root / "a.txt").read_text() == "alpha\nbeta\n"
        assert r.cherry_pick("side").new == r.resolve_commit("HEAD")
        assert (repo.root / "a.txt").read_text() == "alpha\nT\n"


def test_record_conflict_both_sides_through_merge_head(repo):
    rows = "".join(json.dumps({"id": i, "v": 0}) + "\n" for i in range(1, 4))
    repo.write(".ldvattributes", "*.jsonl merge=records key=id\n")
    repo.write("t.jsonl", rows)
    repo("add", ".")
    repo("commit", "-q", "-m", "rows")
    diverge(repo, rows.replace('"id": 2, "v": 0', '"id": 2, "v": 1'),
            rows.replace('"id": 2, "v": 0', '"id": 2, "v": 2'), path="t.jsonl")
    r = repo("merge", "side", code=1)
    assert "hint: both sides: ldv diff --rows HEAD MERGE_HEAD -- t.jsonl" in r.stdout
    side = repo("rev-parse", "side").stdout
    assert repo("rev-parse", "MERGE_HEAD").stdout == side
    assert repo("rev-parse", "ORIG_HEAD").stdout == repo("rev-parse", "HEAD").stdout
    d = repo("diff", "--rows", "--key", "id", "HEAD", "MERGE_HEAD", "--", "t.jsonl",
             code=None).stdout
    assert "id=2: v: 1 -> 2" in d       # ours' and theirs' values of the conflicted record
    repo("merge", "--abort")
    assert repo("rev-parse", "MERGE_HEAD", code=2).exit_code == 2
