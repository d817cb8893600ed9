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


def test_continue_with_markers_left_in_an_added_file_says_so(repo):
    """`ldv add` of a file that still holds markers resolves the path, yet the
    commit is refused: the error must name the markers, not "unmerged files"."""
    diverge(repo, "alpha\nOURS\n", "alpha\nTHEIRS\n")
    repo("merge", "side", code=1)
    repo("add", "a.txt")
    r = repo("merge", "--continue", code=1)
    assert "a.txt still hold(s) conflict markers" in r.stderr and "unmerged" not in r.stderr
    assert r.stderr.count("\n") == 1 and "`ldv add` the file(s) again" in r.stderr
    repo.write("a.txt", "alpha\nBOTH\n")
    repo("add", "a.txt")
    repo("merge", "--continue")
    assert repo("status", "--porcelain").stdout == ""


def test_a_bad_record_key_error_names_the_file_not_the_temporary_copy(repo):
    """It said "base base record 2 has no field 'id'" (the engine's temporary
    copy is named "base"), and "theirs has the key ... more than once" named no file."""
    repo.write(".ldvattributes", "*.jsonl merge=records key=id\n")
    repo.write("data/rows.jsonl", '{"id": 1, "v": 0}\n{"v": 0}\n')
    repo("add", ".")
    repo("commit", "-q", "-m", "keyed")
    diverge(repo, '{"id": 1, "v": 1}\n{"v": 0}\n', '{"id": 1, "v": 2}\n{"v": 0}\n',
            path="data/rows.jsonl")
    r = repo("merge", "side", code=2)
    assert r.stderr.startswith("error: data/rows.jsonl: base record 2 has no field 'id'")
    assert r.stderr.count("\n") == 1 and "base base" not in r.stderr
    assert repo("status", "--porcelain").stdout == ""           # nothing changed
    repo.write("dup.jsonl", '{"id": 1}\n{"id": 2}\n')
    repo("add", "dup.jsonl")
    repo("commit", "-q", "-m", "dup base")
    diverge(repo, '{"id": 1}\n{"id": 2, "v": 1}\n', '{"id": 1}\n{"id": 2}\n{"id": 2}\n',
            path="dup.jsonl", branch="dups")
    r = repo("merge", "dups", code=2)
    assert r.stderr.startswith("error: dup.jsonl: theirs has the key") and \
        "more than once" in r.stderr


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


@pytest.mark.parametrize("verb", ["merge", "cherry-pick", "revert"])
def test_switch_during_a_stopped_operation_names_that_operation(repo, verb):
    """A stopped cherry-pick or revert made `ldv switch` say "a merge is in
    progress (hint: ... ldv merge --continue ...)", which refuses to run."""
    diverge(repo, "alpha\nO\n", "alpha\nT\n")
    if verb == "revert":
        repo.write("a.txt", "alpha\nO2\n")
        repo("commit", "-q", "-a", "-m", "again")
        repo(verb, "HEAD~1", code=1)
    else:
        repo(verb, "side", code=1)
    r = repo("switch", "-c", "elsewhere", code=3)
    assert f"(a {verb} is in progress)" in r.stderr
    assert f"`ldv {verb} --continue`" in r.stderr and f"`ldv {verb} --abort`" in r.stderr
    repo(verb, "--abort")
    repo("switch", "-q", "-c", "elsewhere")


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
        a.write("chat.jsonl", '{"t": "write to jane.roe@example.com"}\n')
        a("add", ".")
        a("commit", "-q", "-m", "from a")
        a("push", "-q")
        b.write("f.txt", "1\n2\n3\n4\nB\n")
        b("commit", "-q", "-a", "-m", "from b")
        b("config", "set", "pii.on_commit", "warn")
        r = b("pull")
        assert "merge" in r.stdout
        # the merge commit brings a's email in: warn mode says so, masked
        assert "warning: PII" in r.stderr and "EMAIL_ADDRESS" in r.stderr
        assert "jane.roe@example.com" not in r.stdout + r.stderr
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
    assert "hint: base, ours and theirs of each: ldv diff -- t.jsonl" in r.stdout
    side = repo("rev-parse", "side").stdout
    assert repo("rev-parse", "MERGE_HEAD").stdout == side
    assert repo("rev-parse", "ORIG_HEAD").stdout == repo("rev-parse", "HEAD").stdout
    d = repo("diff", "--rows", "--key", "id", "HEAD", "MERGE_HEAD", "--", "t.jsonl",
             code=None).stdout
    assert "id=2: v: 1 -> 2" in d       # ours' and theirs' values of the conflicted record
    repo("merge", "--abort")
    assert repo("rev-parse", "MERGE_HEAD", code=2).exit_code == 2


def record_conflict(repo, path: str, base: bytes, ours: bytes, theirs: bytes,
                    attrs: str) -> None:
    """A record-merged ``path`` changed differently on main and side, merged: exit 1."""
    repo.write(".ldvattributes", attrs)
    repo.write(path, base)
    repo("add", ".")
    repo("commit", "-q", "-m", "records")
    diverge(repo, ours, theirs, path=path)
    assert "CONFLICT (records)" in repo("merge", "side", code=1).stdout


def test_diff_shows_base_ours_theirs_of_conflicting_jsonl_records(repo):
    rows = {i: json.dumps({"id": i, "v": 0}) for i in range(1, 6)}
    text = lambda d: "".join(v + "\n" for v in d.values())       # noqa: E731
    ours = {**rows, 2: json.dumps({"id": 2, "v": "ours"}), 4: json.dumps({"id": 4, "v": 9})}
    theirs = {k: v for k, v in rows.items() if k != 4}
    theirs[2] = json.dumps({"id": 2, "v": "theirs"})
    record_conflict(repo, "data/t.jsonl", text(rows), text(ours), text(theirs),
                    "*.jsonl merge=records key=id\n")
    d = repo("diff").stdout
    assert d == ("diff --records data/t.jsonl\n"
                 "2 conflicting records; - base (merge base), < ours (HEAD), > theirs (side)\n"
                 f"@@@ id=2 @@@ modify/modify\n- {rows[2]}\n< {ours[2]}\n> {theirs[2]}\n"
                 f"@@@ id=4 @@@ modify/delete\n- {rows[4]}\n< {ours[4]}\n> (deleted)\n")
    assert repo("diff", "--", "data/t.jsonl").stdout == d
    assert repo("diff", "--", "t.jsonl", cwd=repo.root / "data").stdout == d  # cwd-relative
    assert repo("diff", "--", "a.txt").stdout == ""
    assert repo("diff", "--exit-code", code=1).stdout == d
    doc = json.loads(repo("diff", "--format", "json").stdout)
    [u] = doc["unmerged"]
    assert (u["path"], u["conflicts"], u["truncated"]) == ("data/t.jsonl", 2, False)
    assert u["labels"] == {"base": "merge base", "ours": "HEAD", "theirs": "side"}
    assert u["records"][0] == {"key": "id=2", "kind": "modify/modify", "base": rows[2],
                               "ours": ours[2], "theirs": theirs[2]}
    assert u["records"][1]["theirs"] is None
    repo("add", "data/t.jsonl")                        # resolved: an ordinary diff again
    assert repo("diff").stdout == ""
    assert "unmerged" not in json.loads(repo("diff", "--format", "json").stdout)


def test_diff_shows_conflicting_csv_rows(repo):
    base = "id,name\n1,a\n2,b\n3,\"multi\nline\"\n"
    ours = "id,name\n1,A1\n2,b\n3,\"multi\nOURS\"\n"
    theirs = "id,name\n1,A2\n2,b\n3,\"multi\nTHEIRS\"\n"
    record_conflict(repo, "t.csv", base, ours, theirs, "*.csv merge=records key=id\n")
    d = repo("diff").stdout
    assert d.startswith("diff --records t.csv\n2 conflicting records; ")
    assert "@@@ id=\"1\" @@@ modify/modify\n- 1,a\n< 1,A1\n> 1,A2\n" in d
    # a quoted field spanning lines: each line of the record carries the side's mark
    assert '@@@ id="3" @@@ modify/modify\n- 3,"multi\n- line"\n< 3,"multi\n< OURS"\n' \
           '> 3,"multi\n> THEIRS"\n' in d


def test_diff_shows_conflicting_parquet_rows(repo):
    import io

    import pyarrow as pa
    import pyarrow.parquet as pq

    def table(vals: dict) -> bytes:
        buf = io.BytesIO()
        pq.write_table(pa.table({"id": list(vals), "v": list(vals.values())}), buf)
        return buf.getvalue()

    base = {1: "a", 2: "b", 3: "c"}
    record_conflict(repo, "t.parquet", table(base), table({**base, 2: "OURS"}),
                    table({**base, 2: "THEIRS", 3: "C"}), "*.parquet merge=records key=id\n")
    u = json.loads(repo("diff", "--format", "json").stdout)["unmerged"][0]
    assert u["conflicts"] == 1 and [r["key"] for r in u["records"]] == ["id=2"]
    sides = [json.loads(u["records"][0][s]) for s in ("base", "ours", "theirs")]
    assert sides == [{"id": 2, "v": "b"}, {"id": 2, "v": "OURS"}, {"id": 2, "v": "THEIRS"}]
    d = repo("diff").stdout
    assert "@@@ id=2 @@@ modify/modify\n- " in d and "< " in d and '"THEIRS"' in d


def test_status_names_the_operation_to_continue_or_abort(repo):
    diverge(repo, "alpha\nO\n", "alpha\nT\n")
    short = repo("rev-parse", "--short", "side").stdout.strip()[:7]
    repo("cherry-pick", "side", code=1)
    long = repo("status").stdout
    assert f"You are currently cherry-picking commit {short}.\n" \
           '  (fix conflicts and run "ldv cherry-pick --continue")\n' \
           '  (use "ldv cherry-pick --abort" to cancel the cherry-pick operation)\n' in long
    assert "merge --abort" not in long
    repo("add", "a.txt")
    assert '(all conflicts fixed: run "ldv cherry-pick --continue")' in repo("status").stdout
    repo("cherry-pick", "--abort")
    repo.write("a.txt", "alpha\nbeta\nO2\n")
    repo("commit", "-q", "-a", "-m", "more")
    repo("revert", "HEAD~1", code=1)         # "ours" (alpha/O) was edited again since
    long = repo("status").stdout
    assert "You are currently reverting commit " in long
    assert '(use "ldv revert --abort" to cancel the revert operation)' in long
    repo("revert", "--abort")
    repo("merge", "side", code=1)
    assert '(use "ldv merge --abort" to abort the merge)' in repo("status").stdout
    repo("add", "a.txt")
    assert "All conflicts fixed but you are still merging.\n" \
           '  (use "ldv commit" to conclude merge)\n' in repo("status").stdout
