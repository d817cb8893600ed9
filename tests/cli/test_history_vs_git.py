"""History commands against Git on the same random DAG of commits.

The same commits (same files, parents, messages and times) are built in an ldv
repository (through plumbing) and in a Git repository (git commit-tree); then
`log`, revision suffixes, `diff --name-status` and `ls-tree -r` must agree."""
from __future__ import annotations

import os
import random
import shutil
import subprocess

import pytest

from tests.conftest import require_service
from tests.porcelain.history import make_commit, make_repo

from .conftest import Ldv

PATHS = ["a.txt", "b.jsonl", "d/x.csv", "d/y.txt", "d/e/z.bin", "top/readme.md"]


def _random_dag(seed: int, n: int):
    """[(message, files, parent indexes, time)]: edits on a trunk, side lines, merges."""
    rnd = random.Random(seed)
    commits = []
    for i in range(n):
        if i == 0:
            parents = []
        elif i >= 3 and rnd.random() < 0.25:
            p1 = len(commits) - 1
            p2 = rnd.randrange(0, p1)
            parents = [p1, p2] if p2 != p1 else [p1]
        else:
            parents = [rnd.randrange(max(0, i - 3), i)]
        files = dict(commits[parents[0]][1]) if parents else {}
        for _ in range(rnd.randint(1, 3)):
            path = rnd.choice(PATHS)
            if path in files and rnd.random() < 0.3 and len(files) > 1:
                del files[path]
            else:
                files[path] = f"{path} v{i} {rnd.random()}\n".encode() * rnd.randint(1, 3)
        commits.append((f"c{i}", files, parents, 1_700_000_000 + 100 * i))
    return commits


def _git(cwd, *args, env=None, input=None) -> str:
    p = subprocess.run(["git", *args], cwd=cwd, env=env, input=input, capture_output=True)
    if p.returncode:
        raise subprocess.CalledProcessError(p.returncode, args, p.stdout, p.stderr)
    return p.stdout.decode()


def _build_git(path, commits) -> list[str]:
    os.makedirs(path)
    _git(path, "init", "-q", "-b", "main")
    ids = []
    for msg, files, parents, when in commits:
        for p in PATHS:
            if os.path.exists(os.path.join(path, p)):
                os.remove(os.path.join(path, p))
        for p, data in files.items():
            os.makedirs(os.path.dirname(os.path.join(path, p)) or path, exist_ok=True)
            with open(os.path.join(path, p), "wb") as f:
                f.write(data)
        _git(path, "add", "-A")
        tree = _git(path, "write-tree").strip()
        env = dict(os.environ, GIT_AUTHOR_NAME="T", GIT_AUTHOR_EMAIL="t@x",
                   GIT_COMMITTER_NAME="T", GIT_COMMITTER_EMAIL="t@x",
                   GIT_AUTHOR_DATE=f"{when} +0000", GIT_COMMITTER_DATE=f"{when} +0000")
        args = ["commit-tree", tree, "-m", msg]
        for p in parents:
            args += ["-p", ids[p]]
        ids.append(_git(path, *args, env=env).strip())
    _git(path, "update-ref", "refs/heads/main", ids[-1])
    _git(path, "reset", "-q", "--hard")
    return ids


def _build_ldv(path, commits) -> list[bytes]:
    repo = make_repo(path)
    oids: list[bytes] = []
    for msg, files, parents, when in commits:
        oids.append(make_commit(repo, files, [oids[p] for p in parents], msg, when))
    repo.close()
    return oids


def _subject(ldv: Ldv, rev: str) -> str | None:
    r = ldv("log", "-n", "1", "--format", "%s", rev, "--", code=None)
    return r.output.strip() if r.exit_code == 0 else None


def _git_subject(path, rev: str) -> str | None:
    try:
        return _git(path, "log", "-n", "1", "--format=%s", rev, "--").strip()
    except subprocess.CalledProcessError:
        return None


@pytest.mark.parametrize("seed", [1, 3, 4, 11])
def test_history_matches_git(tmp_path, env, seed):
    require_service(shutil.which("git") is not None, "git")
    commits = _random_dag(seed, 20)
    assert any(len(c[2]) == 2 for c in commits)          # the DAG has merges
    git_dir = tmp_path / "git"
    _build_git(str(git_dir), commits)
    _build_ldv(tmp_path / "ldv", commits)
    ldv = Ldv(tmp_path / "ldv", dict(env, LDV_MASTER_KEY="11" * 32))

    assert ldv("log", "--format", "%s").output == _git(git_dir, "log", "--format=%s")
    assert ldv("log", "--format", "%s", "--first-parent").output == \
        _git(git_dir, "log", "--format=%s", "--first-parent")

    rnd = random.Random(seed)
    for _ in range(12):
        rev = "HEAD" + "".join(rnd.choice(["~1", "^", "^2", "~2", "^1"])
                               for _ in range(rnd.randint(1, 3)))
        assert _subject(ldv, rev) == _git_subject(git_dir, rev), rev
    for _ in range(8):
        a, b = (f"HEAD~{rnd.randint(0, 5)}" for _ in range(2))
        assert ldv("diff", "--no-renames", "--name-status", a, b).output == \
            _git(git_dir, "diff", "--no-renames", "--name-status", a, b), (a, b)
        assert ldv("ls-tree", "-r", "--name-only", a).output == \
            _git(git_dir, "ls-tree", "-r", "--name-only", a), a


@pytest.mark.parametrize("seed", [1, 4, 7, 8])
def test_path_limited_log_matches_git(tmp_path, env, seed):
    """Git's default history simplification: a merge that kept one parent's
    version of the paths is followed into that parent only."""
    require_service(shutil.which("git") is not None, "git")
    commits = _random_dag(seed, 20)
    git_dir = tmp_path / "git"
    _build_git(str(git_dir), commits)
    _build_ldv(tmp_path / "ldv", commits)
    ldv = Ldv(tmp_path / "ldv", dict(env, LDV_MASTER_KEY="11" * 32))
    for path in ["a.txt", "d", "d/e/z.bin", "top/readme.md"]:
        assert ldv("log", "--format", "%s", "--", path).output == \
            _git(git_dir, "log", "--format=%s", "--", path), path


@pytest.mark.parametrize("seed", [1, 11, 15, 21, 38])
def test_graph_matches_git(tmp_path, env, seed):
    """`log --graph` (topo order, lanes, merges, collapses) as Git draws it.
    Lanes that slide several columns at once (Git's "|_|/") are drawn simpler."""
    require_service(shutil.which("git") is not None, "git")
    commits = _random_dag(seed, 12)
    git_dir = tmp_path / "git"
    _build_git(str(git_dir), commits)
    _build_ldv(tmp_path / "ldv", commits)
    ldv = Ldv(tmp_path / "ldv", dict(env, LDV_MASTER_KEY="11" * 32))
    for fmt in ("%s", "%s%n%an <%ae>%n"):          # one line, and text under the commit
        assert ldv("log", "--graph", "--format", fmt).output == \
            _git(git_dir, "log", "--graph", f"--format={fmt}"), fmt


def test_show_of_a_merge(tmp_path, env):
    commits = _random_dag(1, 8)
    merge = next(i for i, c in enumerate(commits) if len(c[2]) == 2)
    _build_ldv(tmp_path / "ldv", commits[:merge + 1])
    ldv = Ldv(tmp_path / "ldv", dict(env, LDV_MASTER_KEY="11" * 32))
    plain = ldv("show", "HEAD").output
    assert plain.startswith("commit ") and "Merge: " in plain and "diff --git" not in plain
    changed = ldv("diff", "--name-status", "HEAD^1", "HEAD").output
    assert changed                                    # this merge did change files
    fp = ldv("show", "--first-parent", "--name-status", "HEAD").output
    assert fp.endswith("\n" + changed)
