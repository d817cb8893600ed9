"""`ldv run` and `ldv lineage` through the CLI, and lineage across push and clone."""
from __future__ import annotations

import json
import sys

import pytest

from tests.cli.conftest import IDENTITY, Ldv
from tests.remote_server.harness import ServerThread
from tests.remote_server.test_api import make_services

PY = sys.executable
UPPER = "import sys; open(sys.argv[2], 'w').write(open(sys.argv[1]).read().upper())"
COUNT = "import sys; open(sys.argv[2], 'w').write(str(len(open(sys.argv[1]).read())))"


def pipeline(ldv) -> None:
    """raw.csv -> (upper) -> clean.csv -> (count) -> features.txt, as two runs."""
    ldv("init", "-q")
    ldv.write("raw.csv", "a,b\n1,2\n3,4\n")
    ldv("add", "raw.csv")
    ldv("commit", "-q", "-m", "raw data")
    ldv("run", "-q", "-i", "raw.csv", "-o", "clean.csv", "--", PY, "-c", UPPER,
        "raw.csv", "clean.csv")
    ldv("run", "-i", "clean.csv", "-o", "features.txt", "-m", "features", "--",
        PY, "-c", COUNT, "clean.csv", "features.txt")


def test_run_commits_outputs_with_a_default_message(ldv):
    pipeline(ldv)
    subjects = ldv("log", "--oneline").output.splitlines()
    assert len(subjects) == 3 and subjects[0].endswith("features")
    assert "run: " in subjects[1] and "clean.csv" in subjects[1]
    assert (ldv.root / "features.txt").read_text() == "12"
    assert ldv("status", "--porcelain").output == ""


def test_lineage_text_json_and_dot_show_the_chain(ldv):
    pipeline(ldv)
    text = ldv("lineage", "features.txt").output
    lines = text.splitlines()
    assert lines[0].startswith("features.txt  blob ") and "made by run" in lines[0]
    assert "clean.csv features.txt" in text and "raw.csv clean.csv" in text
    assert text.count("code: not in a Git repository") == 2
    assert lines[-1].strip().startswith("raw.csv  blob ") and "source: added in commit" in lines[-1]
    assert lines[-1].endswith('"raw data"')

    doc = json.loads(ldv("lineage", "features.txt", "--format", "json").output)
    assert doc["format"] == "ldv.lineage" and doc["version"] == 1
    assert [a["path"] for a in doc["artifacts"]] == ["features.txt", "clean.csv", "raw.csv"]
    assert [a["kind"] for a in doc["artifacts"]] == ["run", "run", "source"]
    assert len(doc["runs"]) == 2 and len(doc["edges"]) == 4
    head = ldv("rev-parse", "HEAD").output.strip()
    assert doc["runs"][0]["commit"] == head
    raw_commit = ldv("rev-parse", "HEAD~2").output.strip()
    assert doc["runs"][1]["inputs"][0]["rev"] == raw_commit

    dot = ldv("lineage", "features.txt", "--format", "dot").output
    assert dot.startswith("digraph lineage {") and dot.rstrip().endswith("}")
    assert dot.count("shape=box") == 2 and dot.count("shape=ellipse") == 3
    assert dot.count(" -> ") == 4


def test_lineage_at_an_older_revision_and_of_a_folder(ldv):
    pipeline(ldv)
    old = json.loads(ldv("lineage", "clean.csv", "--rev", "HEAD~1", "--format", "json").output)
    assert len(old["runs"]) == 1
    everything = json.loads(ldv("lineage", "--format", "json").output)
    assert len(everything["targets"]) == 3
    assert ldv("lineage", "features.txt", "--rev", "HEAD~1", code=2).stderr.startswith("error:")


def test_failing_command_passes_its_exit_code_and_commits_nothing(ldv):
    pipeline(ldv)
    before = ldv("rev-parse", "HEAD").output
    r = ldv("run", "-o", "x.txt", "--", PY, "-c", "import sys; sys.exit(7)", code=7)
    assert "nothing committed" in r.stderr
    assert ldv("rev-parse", "HEAD").output == before


def test_run_usage_errors_are_one_line(ldv):
    pipeline(ldv)
    ldv.write("raw.csv", "edited\n")
    r = ldv("run", "-i", "raw.csv", "-o", "y", "--", PY, "-c", "pass", code=3)
    assert r.stderr.count("\n") == 1 and "modified in the working tree" in r.stderr
    r = ldv("run", "-o", "y", "--", "no-such-command-xyz", code=2)
    assert "command not found" in r.stderr
    assert ldv("run", "--", PY, "-c", "pass", code=2).exit_code == 2     # no -o


@pytest.fixture
def server(tmp_path, request):
    svc = make_services("embedded", tmp_path / "srv", request)
    svc.store.create_repo("ds")
    srv = ServerThread(svc, tmp_path / "srv").start()
    yield srv
    srv.stop()


def test_lineage_survives_push_and_clone(server, tmp_path):
    _id, token = server.svc.store.create_token("ds", "write", "ada")
    env = {"XDG_CONFIG_HOME": str(tmp_path / "config"), "LDV_MASTER_KEY": "33" * 32,
           "LDV_TOKEN": token, **IDENTITY}
    (tmp_path / "a").mkdir()
    a = Ldv(tmp_path / "a", env)
    pipeline(a)
    a("remote", "add", "origin", server.url("ds"), "--fingerprint", server.fingerprint)
    a("push")
    a("clone", server.url("ds"), str(tmp_path / "b"), "--fingerprint", server.fingerprint)
    b = Ldv(tmp_path / "b", env)
    for fmt in ("json", "dot", "text"):
        assert b("lineage", "features.txt", "--format", fmt).output == \
            a("lineage", "features.txt", "--format", fmt).output
    # The server holds the records only as ciphertext: no command, no path, no
    # message.  (Blob ids it may see: they are the opaque keyed ids of DESIGN.md.)
    needles = [UPPER[:30].encode(), b"clean.csv", b"features.txt", b"run: "]
    stored = [f for f in (tmp_path / "srv").rglob("*") if f.is_file()]
    assert len(stored) > 2
    for f in stored:
        data = f.read_bytes()
        assert [n for n in needles if n in data] == [], f


def test_python_api_run_and_lineage(tmp_path, monkeypatch):
    import ldv as ldv_api
    from ldv.plumbing.keys import MasterKey
    for k, v in IDENTITY.items():
        monkeypatch.setenv(k, v)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "cfg"))
    repo, _ = ldv_api.Repository.init(tmp_path / "ds", key=MasterKey.from_hex("44" * 32))
    with repo:
        (repo.root / "raw.csv").write_text("x\n")
        repo.add(["raw.csv"])
        first = repo.commit("raw")
        res = repo.run([PY, "-c", UPPER, "raw.csv", "up.csv"], inputs=["raw.csv"],
                       outputs=["up.csv"])
        assert res.exit_code == 0 and res.commit == repo.resolve_commit("HEAD")
        g = repo.lineage("up.csv")
        assert [a.kind for a in g.artifacts.values()] == ["run", "source"]
        assert res.record.inputs[0].rev == first
        failed = repo.run("exit 5", shell=True, outputs=["up.csv"])
        assert (failed.exit_code, failed.commit) == (5, None)


def test_commit_input_output_records_a_manual_step(ldv):
    pipeline(ldv)
    ldv.write("notes.md", "hand-made from clean.csv\n")
    ldv("add", "notes.md")
    ldv("commit", "-q", "-m", "notes", "--input", "clean.csv", "--output", "notes.md")
    doc = json.loads(ldv("lineage", "notes.md", "--format", "json").output)
    run = doc["runs"][0]
    assert run["command"] is None and run["commit"] == ldv("rev-parse", "HEAD").output.strip()
    assert [a["path"] for a in doc["artifacts"]] == ["notes.md", "clean.csv", "raw.csv"]
    assert "(no command: recorded with ldv commit" in ldv("lineage", "notes.md").output
    ldv.write("more.md", "x")
    r = ldv("commit", "-m", "m", "--input", "raw.csv", "--output", "more.md", code=2)
    assert "not in the index" in r.stderr
    ldv("add", "more.md")
    assert ldv("commit", "-m", "m", "-a", "--output", "more.md", code=2).exit_code == 2


def test_lineage_survives_ldv_merge(ldv):
    ldv("init", "-q")
    ldv.write("raw.csv", "a\n")
    ldv("add", "raw.csv")
    ldv("commit", "-q", "-m", "raw")
    ldv("switch", "-q", "-c", "side")
    ldv("run", "-q", "-i", "raw.csv", "-o", "clean.csv", "--", PY, "-c", UPPER,
        "raw.csv", "clean.csv")
    side_run = ldv("rev-parse", "HEAD").output.strip()
    ldv("switch", "-q", "main")
    ldv.write("notes.txt", "n\n")
    ldv("add", "notes.txt")
    ldv("commit", "-q", "-m", "notes")
    ldv("merge", "--no-ff", "-m", "merge side", "side")
    assert ldv("rev-parse", "HEAD^2").output.strip() == side_run      # a real merge commit
    doc = json.loads(ldv("lineage", "clean.csv", "--format", "json").output)
    assert doc["runs"][0]["commit"] == side_run
    assert [a["kind"] for a in doc["artifacts"]] == ["run", "source"]


def test_lineage_text_names_the_git_code_revision(ldv, tmp_path):
    import pygit2
    g = pygit2.init_repository(str(tmp_path))           # the dataset folder lies inside
    (tmp_path / "step.py").write_text(UPPER)
    g.index.add("step.py")
    g.index.write()
    sig = pygit2.Signature("Ada", "ada@example.org", 1_700_000_000, 0)
    g.create_commit("HEAD", sig, sig, "code", g.index.write_tree(), [])
    pipeline(ldv)
    text = ldv("lineage", "features.txt").output
    assert text.count(f"code: git {str(g.head.target)[:12]} (clean) on {g.head.shorthand}") == 2


def test_lineage_without_a_path_covers_the_current_folder(ldv):
    """docs/LINEAGE.md and --help: the default PATH is the current folder."""
    pipeline(ldv)
    ldv.write("sub/x.txt", "x\n")
    ldv("add", "sub")
    ldv("commit", "-q", "-m", "sub")
    top = ldv("lineage").output
    assert "features.txt" in top and "sub/x.txt" in top
    sub = ldv("lineage", cwd=ldv.root / "sub").output
    assert sub.splitlines()[0].startswith("sub/x.txt  blob ") and "features.txt" not in sub
    assert "default: the current folder" in " ".join(ldv("lineage", "--help").output.split())


def test_a_run_the_pii_gate_refuses_leaves_nothing_staged_and_can_be_rerun(ldv):
    """pii.on_commit=block refusing the run's commit left the outputs staged, so
    the next `ldv run` was refused ("the index has 1 staged change(s)")."""
    pipeline(ldv)
    ldv("config", "set", "pii.on_commit", "block")
    write = "import sys; open(sys.argv[1], 'w').write(sys.argv[2] + chr(10))"
    head = ldv("rev-parse", "HEAD").output
    r = ldv("run", "-i", "raw.csv", "-o", "out.txt", "--", PY, "-c", write, "out.txt",
            "mail joe.bloggs@gmail.com", code=1)
    assert "commit refused" in r.stderr and "unstaged, nothing committed" in r.stderr
    assert r.stderr.count("\n") == 1
    assert ldv("rev-parse", "HEAD").output == head
    assert ldv("status", "--porcelain").output == "?? out.txt\n"
    ldv("run", "-i", "raw.csv", "-o", "out.txt", "--", PY, "-c", write, "out.txt", "clean")
    assert "made by run" in ldv("lineage", "out.txt").output.splitlines()[0]
