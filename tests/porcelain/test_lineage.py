"""ldv run and the lineage walker on a real (encrypted, packed) repository."""
from __future__ import annotations

import json
import shlex
import sys
from pathlib import Path

import pygit2
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ldv.plumbing.errors import BadInput, WouldClobber
from ldv.plumbing.keys import MasterKey
from ldv.plumbing.objects import Commit, read_commit, write_commit
from ldv.plumbing.repository import Repo
from ldv.plumbing.trees import lookup
from ldv.porcelain.lineage import RunRecord, FileRef, code_revision, lineage, parse_record
from ldv.porcelain.run import RunOptions, run
from ldv.porcelain.worktree import Identity, Workspace

ME = Identity("Ada", "ada@example.com")
PY = sys.executable
# A tiny "pipeline step": upper-case a file (argv: src dst), or fail with argv[3].
STEP = ("import sys; src, dst = sys.argv[1:3]; "
        "open(dst, 'w').write(open(src).read().upper() + sys.argv[3] if len(sys.argv) > 3 else "
        "open(src).read().upper())")
FAIL = "import sys; open('out.csv', 'w').write('partial'); sys.exit(3)"


def make_ws(root: Path) -> Workspace:
    root.mkdir(parents=True, exist_ok=True)
    return Workspace(Repo.init(root, MasterKey.generate(), kdf="fast"))


@pytest.fixture
def ws(tmp_path):
    w = make_ws(tmp_path / "work")
    write(w, "raw.csv", "a,b\n1,2\n")
    w.add(["raw.csv"])
    w.commit("add raw", author=ME, now=1_700_000_000)
    return w


def write(ws, path: str, text: str) -> None:
    p = ws.root / path
    p.parent.mkdir(parents=True, exist_ok=True)
    p.write_text(text)


def step(ws, src: str, dst: str, *extra, now=1_700_000_100, inputs=None, **kw):
    opts = RunOptions(command=[PY, "-c", STEP, src, dst, *extra], outputs=[dst],
                      inputs=[src] if inputs is None else inputs, author=ME, now=now, **kw)
    return run(ws, opts)


def blob(ws, rev_oid: bytes, path: str) -> bytes:
    return lookup(ws.repo.odb, read_commit(ws.repo.odb, rev_oid).tree, path).oid


def test_run_outside_git_records_inputs_outputs_and_no_code(ws):
    assert code_revision(ws.root) is None          # tmp_path lies outside any Git repo
    base = ws.head_commit()
    res = step(ws, "raw.csv", "clean.csv")
    assert res.exit_code == 0 and res.commit == ws.head_commit()
    c = read_commit(ws.repo.odb, res.commit)
    assert c.parents == [base]
    assert c.message == f"run: {shlex.join([PY, '-c', STEP, 'raw.csv', 'clean.csv'])}\n"
    [rec] = c.lineage
    assert rec["type"] == "run" and rec["version"] == 1 and rec["code"] is None
    assert rec["command"][-2:] == ["raw.csv", "clean.csv"] and rec["shell"] is False
    assert rec["inputs"] == [{"path": "raw.csv", "rev": base.hex(),
                              "blob": blob(ws, base, "raw.csv").hex(), "size": 8}]
    assert rec["outputs"] == [{"path": "clean.csv", "size": 8,
                               "blob": blob(ws, res.commit, "clean.csv").hex()}]
    assert (ws.root / "clean.csv").read_text() == "A,B\n1,2\n"
    assert ws.status().clean


def git_repo(path: Path) -> pygit2.Repository:
    """A Git repository with one committed script, as a code repository would be."""
    g = pygit2.init_repository(str(path))
    (path / "clean.py").write_text("print('v1')\n")
    g.index.add("clean.py")
    g.index.write()
    sig = pygit2.Signature("Ada", "ada@example.com", 1_700_000_000, 0)
    g.create_commit("HEAD", sig, sig, "code v1", g.index.write_tree(), [])
    return g


def test_run_inside_git_records_commit_and_dirty_flag(tmp_path):
    g = git_repo(tmp_path / "code")
    ws = make_ws(tmp_path / "code" / "data")     # an untracked dataset folder: not dirty
    write(ws, "raw.csv", "x\n")
    ws.add(["raw.csv"])
    ws.commit("raw", author=ME)
    first = step(ws, "raw.csv", "clean.csv").record.code
    assert first == {"vcs": "git", "commit": str(g.head.target), "dirty": False,
                     "branch": g.head.shorthand, "path": "data"}
    (tmp_path / "code" / "clean.py").write_text("print('v2, not committed')\n")
    second = step(ws, "raw.csv", "clean.csv", "!").record.code
    assert second["dirty"] is True and second["commit"] == str(g.head.target)
    stored = read_commit(ws.repo.odb, ws.head_commit()).lineage[0]["code"]
    assert stored == second


def test_code_dir_names_a_code_repository_elsewhere(ws, tmp_path):
    g = git_repo(tmp_path / "code")
    res = step(ws, "raw.csv", "clean.csv", code_dir=str(tmp_path / "code"))
    assert res.record.code["commit"] == str(g.head.target) and res.record.code["path"] == ""
    with pytest.raises(BadInput, match="not inside a Git repository"):
        step(ws, "raw.csv", "clean2.csv", code_dir=str(tmp_path))


def test_code_revision_on_unborn_and_detached_heads(tmp_path):
    g = pygit2.init_repository(str(tmp_path / "g"))
    unborn = code_revision(tmp_path / "g")
    assert unborn["commit"] is None and unborn["branch"] and unborn["dirty"] is False
    g = git_repo(tmp_path / "g")
    g.set_head(g.head.target)                     # detach
    detached = code_revision(tmp_path / "g")
    assert detached["branch"] is None and detached["commit"] == str(g.head.target)


def test_failing_command_commits_nothing_and_passes_exit_code(ws):
    head = ws.head_commit()
    res = run(ws, RunOptions(command=[PY, "-c", FAIL], outputs=["out.csv"],
                             inputs=["raw.csv"], author=ME))
    assert res.exit_code == 3 and res.commit is None
    assert ws.head_commit() == head
    assert ws.index.get("out.csv") is None


def test_shell_mode_runs_a_shell_line(ws):
    res = run(ws, RunOptions(command=["tr a-z A-Z < raw.csv > up.csv"], shell=True,
                             inputs=["raw.csv"], outputs=["up.csv"], author=ME))
    assert res.exit_code == 0
    rec = read_commit(ws.repo.odb, res.commit).lineage[0]
    assert rec["command"] == "tr a-z A-Z < raw.csv > up.csv" and rec["shell"] is True
    assert (ws.root / "up.csv").read_text() == "A,B\n1,2\n"


def test_signal_death_is_128_plus_signal(ws):
    res = run(ws, RunOptions(command=[PY, "-c", "import os, signal; "
                                      "os.kill(os.getpid(), signal.SIGTERM)"],
                             outputs=["x"], author=ME))
    assert res.exit_code == 128 + 15 and res.commit is None


@pytest.mark.parametrize("how", ["modified", "staged", "unknown"])
def test_uncommitted_inputs_are_refused(ws, how):
    head = ws.head_commit()
    if how != "unknown":
        write(ws, "raw.csv", "changed\n")
    if how == "staged":
        ws.add(["raw.csv"])
    name = "nope.csv" if how == "unknown" else "raw.csv"
    with pytest.raises((WouldClobber, BadInput), match=name):
        step(ws, name, "clean.csv")
    assert ws.head_commit() == head and not (ws.root / "clean.csv").exists()


def test_unrelated_staged_changes_are_refused(ws):
    write(ws, "other.txt", "o")
    ws.add(["other.txt"])
    with pytest.raises(WouldClobber, match="staged"):
        step(ws, "raw.csv", "clean.csv")


def test_missing_output_and_rewritten_input_commit_nothing(ws):
    head = ws.head_commit()
    with pytest.raises(BadInput, match="did not write output 'never.csv'"):
        run(ws, RunOptions(command=[PY, "-c", "pass"], outputs=["never.csv"],
                           inputs=["raw.csv"], author=ME))
    (ws.root / "raw.csv.bak").write_text("o")       # the declared output exists
    with pytest.raises(WouldClobber, match="changed input 'raw.csv'"):
        run(ws, RunOptions(command=[PY, "-c", STEP, "raw.csv", "raw.csv"],
                           outputs=["raw.csv.bak"], inputs=["raw.csv"], author=ME))
    assert ws.head_commit() == head


def test_an_ignored_output_is_still_committed_when_named(ws):
    (ws.root / ".ldvignore").write_text("*.out\nout/*.tmp\n")
    script = ("import os; os.makedirs('out', exist_ok=True); "
              "[open(p, 'w').write('x') for p in ('a.out', 'out/b.txt', 'out/c.tmp')]")
    res = run(ws, RunOptions(command=[PY, "-c", script], outputs=["a.out", "out"], author=ME))
    assert [f.path for f in res.record.outputs] == ["a.out", "out/b.txt"]


def test_in_place_transform_records_old_input_and_new_output(ws):
    base = ws.head_commit()
    res = step(ws, "raw.csv", "raw.csv")
    rec = res.record
    assert rec.inputs[0].blob == blob(ws, base, "raw.csv")
    assert rec.outputs[0].blob == blob(ws, res.commit, "raw.csv") != rec.inputs[0].blob


def test_directory_inputs_and_outputs_expand_to_files(ws):
    write(ws, "in/a.txt", "a")
    write(ws, "in/sub/b.txt", "b")
    ws.add(["in"])
    ws.commit("inputs", author=ME)
    script = ("import os, shutil; shutil.rmtree('out', True); "
              "shutil.copytree('in', 'out')")
    res = run(ws, RunOptions(command=[PY, "-c", script], inputs=["in"], outputs=["out"],
                             author=ME))
    assert [f.path for f in res.record.inputs] == ["in/a.txt", "in/sub/b.txt"]
    assert [f.path for f in res.record.outputs] == ["out/a.txt", "out/sub/b.txt"]
    assert [f.blob for f in res.record.outputs] == [f.blob for f in res.record.inputs]


def chain(ws):
    """raw -> clean -> features, two runs; returns (raw commit, run1, run2)."""
    raw = ws.head_commit()
    r1 = step(ws, "raw.csv", "clean.csv", now=1_700_000_100).commit
    r2 = step(ws, "clean.csv", "features.csv", "#f", now=1_700_000_200).commit
    return raw, r1, r2


def test_lineage_follows_a_chain_of_two_runs(ws):
    raw, r1, r2 = chain(ws)
    g = lineage(ws.repo, ws.head_commit(), "features.csv")
    feat = g.artifacts[g.targets[0]]
    assert (feat.kind, feat.commit, feat.run) == ("run", r2, f"{r2.hex()}#0")
    clean = g.artifacts[f"clean.csv@{blob(ws, r1, 'clean.csv').hex()}"]
    assert (clean.kind, clean.commit) == ("run", r1)
    source = g.artifacts[f"raw.csv@{blob(ws, raw, 'raw.csv').hex()}"]
    assert (source.kind, source.commit) == ("source", raw)
    assert source.subject == "add raw"
    assert set(g.runs) == {f"{r1.hex()}#0", f"{r2.hex()}#0"}
    assert (source.key, f"{r1.hex()}#0") in g.edges and (f"{r1.hex()}#0", clean.key) in g.edges
    assert not g.truncated
    doc = json.loads(json.dumps(g.to_json()))
    assert doc["format"] == "ldv.lineage" and len(doc["edges"]) == 4


def test_lineage_of_a_plain_file_is_its_introducing_commit(ws):
    first = ws.head_commit()
    write(ws, "other.txt", "o")
    ws.add(["other.txt"])
    ws.commit("other", author=ME, now=1_700_000_050)
    g = lineage(ws.repo, ws.head_commit(), "raw.csv")
    [a] = g.artifacts.values()
    assert (a.kind, a.commit) == ("source", first) and not g.runs


def test_lineage_bounded_by_depth(ws):
    chain(ws)
    g = lineage(ws.repo, ws.head_commit(), "features.csv", max_depth=0)
    assert g.truncated and len(g.runs) == 1
    assert sorted(a.kind for a in g.artifacts.values()) == ["run", "unexplored"]


def test_a_rerun_with_equal_outputs_still_records(ws):
    _raw, r1, _r2 = chain(ws)
    again = step(ws, "raw.csv", "clean.csv", now=1_700_000_300)
    assert again.commit != r1 and blob(ws, again.commit, "clean.csv") == blob(ws, r1, "clean.csv")
    g = lineage(ws.repo, ws.head_commit(), "clean.csv")
    assert g.artifacts[g.targets[0]].commit == again.commit     # the newest run wins


def test_lineage_survives_a_merge_commit(ws):
    main = ws.head_commit()
    ws.switch("side", create=True)
    side = step(ws, "raw.csv", "clean.csv").commit
    ws.switch("main")
    write(ws, "notes.txt", "n")
    ws.add(["notes.txt"])
    ours = ws.commit("notes", author=ME, now=1_700_000_400)
    write(ws, "clean.csv", (ws.root / "raw.csv").read_text().upper())
    ws.add(["clean.csv"])
    tree = ws.index.write_tree(ws.repo.odb)
    # A merge commit as any merge writes it: two parents, no lineage of its own.
    m = write_commit(ws.repo.odb, Commit(tree, [ours, side], str(ME), 1_700_000_500, 0,
                                         str(ME), 1_700_000_500, 0, "merge side\n"))
    ws.repo.odb.flush()
    g = lineage(ws.repo, m, "clean.csv")
    assert g.artifacts[g.targets[0]].commit == side
    assert g.artifacts[f"raw.csv@{blob(ws, main, 'raw.csv').hex()}"].kind == "source"


def test_an_input_from_an_absent_commit_is_missing_not_fatal(ws):
    """As after a shallow or partial clone: the record names a commit we lack."""
    res = step(ws, "raw.csv", "clean.csv")
    rec = res.record.to_json()
    rec["inputs"][0]["rev"] = "ab" * 32
    c = read_commit(ws.repo.odb, res.commit)
    c.lineage, c.commit_time = [rec], c.commit_time + 1
    forged = write_commit(ws.repo.odb, c)
    ws.repo.odb.flush()
    g = lineage(ws.repo, forged, "clean.csv")
    assert [a.kind for a in g.artifacts.values()] == ["run", "missing"]


def test_lineage_of_a_directory_and_bad_paths(ws):
    chain(ws)
    g = lineage(ws.repo, ws.head_commit(), "")
    assert sorted(t.split("@")[0] for t in g.targets) == ["clean.csv", "features.csv", "raw.csv"]
    with pytest.raises(BadInput, match="not in commit"):
        lineage(ws.repo, ws.head_commit(), "nope.csv")


def test_lineage_is_never_plaintext_on_disk(ws):
    marker = "lineage-marker-7f3a9c"
    res = step(ws, "raw.csv", "clean.csv", message=f"{marker} message")
    assert res.exit_code == 0
    out_blob = res.record.outputs[0].blob.hex()
    needles = [marker.encode(), STEP.encode()[:40], b"clean.csv", out_blob.encode(),
               b'"outputs"']
    for f in (ws.root / ".ldv").rglob("*"):
        if f.is_file():
            data = f.read_bytes()
            assert not any(n in data for n in needles), f


_names = st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), min_size=1,
                 max_size=20)
_refs = st.builds(FileRef, _names, st.binary(min_size=32, max_size=32),
                  st.integers(0, 2**40), st.none() | st.binary(min_size=32, max_size=32))


@settings(max_examples=40, deadline=None)
@given(cmd=st.lists(_names, min_size=1, max_size=4), ins=st.lists(_refs, max_size=3),
       outs=st.lists(_refs.map(lambda r: FileRef(r.path, r.blob, r.size)), max_size=3),
       code=st.none() | st.fixed_dictionaries({"vcs": st.just("git"), "dirty": st.booleans(),
                                                "commit": st.none() | _names}))
def test_records_round_trip_through_a_commit(cmd, ins, outs, code):
    rec = RunRecord(command=cmd, shell=False, cwd="", inputs=ins, outputs=outs, code=code)
    c = Commit(b"\1" * 32, [], "a", 0, 0, "a", 0, 0, "m\n", [rec.to_json()])
    again = Commit.parse(c.serialize())
    assert parse_record(again.lineage[0]) == rec


def test_foreign_records_are_kept_but_not_followed():
    assert parse_record({"type": "note", "version": 1}) is None
    assert parse_record({"type": "run", "version": 2, "command": "x"}) is None
    assert parse_record({"type": "run", "version": 1, "inputs": [{"path": 1}]}) is None


def test_cherry_pick_carries_the_run_record_and_revert_carries_none(ws):
    from ldv.porcelain import cherrypick
    main = ws.head_commit()
    ws.switch("side", create=True)
    res = step(ws, "raw.csv", "clean.csv")
    ws.switch("main")
    picked = cherrypick.cherry_pick(ws, res.commit, author=ME, now=1_700_000_500)
    c = read_commit(ws.repo.odb, picked.new)
    assert c.lineage and c.lineage == read_commit(ws.repo.odb, res.commit).lineage
    g = lineage(ws.repo, picked.new, "clean.csv")
    made = g.artifacts[g.targets[0]]
    assert (made.kind, made.commit) == ("run", picked.new)     # the pick, not a source
    assert g.artifacts[f"raw.csv@{blob(ws, main, 'raw.csv').hex()}"].kind == "source"
    back = cherrypick.revert(ws, picked.new, author=ME, now=1_700_000_600)
    assert read_commit(ws.repo.odb, back.new).lineage == []


def test_a_conflicted_cherry_pick_keeps_the_record_through_continue(ws):
    from ldv.plumbing.errors import MergeConflict
    from ldv.porcelain import cherrypick, mergeops
    ws.switch("side", create=True)
    res = step(ws, "raw.csv", "clean.csv")
    ws.switch("main")
    write(ws, "clean.csv", "made by hand\n")                  # add/add on clean.csv
    ws.add(["clean.csv"])
    ws.commit("by hand", author=ME, now=1_700_000_400)
    with pytest.raises(MergeConflict):
        cherrypick.cherry_pick(ws, res.commit, author=ME, now=1_700_000_500)
    mergeops.checkout_side(ws, ["clean.csv"], "theirs")
    ws.add(["clean.csv"])
    oid = mergeops.continue_(ws, author=ME, now=1_700_000_600)
    assert read_commit(ws.repo.odb, oid).lineage == read_commit(ws.repo.odb, res.commit).lineage
    g = lineage(ws.repo, oid, "clean.csv")
    assert g.artifacts[g.targets[0]].commit == oid
