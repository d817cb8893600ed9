"""The same random two-branch histories of text files, built in Git and in ldv and
merged, give the same verdict (clean or conflicted), the same `status --porcelain`
(UU/AA/DU/UD and staged paths), the same bytes in every work-tree file -- cleanly
merged files and conflicted ones with their markers (labels HEAD and the branch
name, as Git writes them) -- and, when clean, the same files and modes committed.
Git runs with rename detection off: ldv's merge is rename-free (docs/MERGE.md)."""
from __future__ import annotations

import os
import random
import shutil
import subprocess
from pathlib import Path


from ldv.plumbing.errors import MergeConflict
from ldv.plumbing.blobs import read_blob
from ldv.plumbing.keys import MasterKey
from ldv.plumbing.objects import MODE_EXEC
from ldv.plumbing.repository import Repo
from ldv.porcelain import mergeops
from ldv.porcelain.worktree import Identity, Workspace

ME = Identity("T", "t@example.com")
PATHS = ["a.txt", "b", "c.md", "d/e", "d/f.txt", "g/h/i"]
ALPHABET = ["x", "y", "z", "1", "", "{", "}"]
GIT_ENV = {**os.environ, "GIT_AUTHOR_NAME": "T", "GIT_AUTHOR_EMAIL": "t@example.com",
           "GIT_COMMITTER_NAME": "T", "GIT_COMMITTER_EMAIL": "t@example.com",
           "GIT_CONFIG_NOSYSTEM": "1", "HOME": "/nonexistent", "LC_ALL": "C"}
TRIALS = 40
CRISS_CROSS_TRIALS = 20



def git(root: Path, *args, check=True, env=None) -> subprocess.CompletedProcess:
    return subprocess.run(["git", "-c", "merge.renames=false", "-c", "diff.renames=false",
                           "-c", "status.renames=false", "-c", "merge.conflictStyle=merge",
                           "-c", "core.fileMode=true", *args],
                          cwd=root, env={**GIT_ENV, **(env or {})}, capture_output=True,
                          check=check)


def random_text(r: random.Random) -> bytes:
    lines = [r.choice(ALPHABET) for _ in range(r.randint(0, 9))]
    text = "".join(line + "\n" for line in lines)
    if text and r.random() < 0.1:
        text = text[:-1]                      # no final newline
    return text.encode()


def edit_text(r: random.Random, data: bytes) -> bytes:
    lines = data.decode().splitlines(keepends=True)
    for _ in range(r.randint(1, 3)):
        i = r.randint(0, len(lines))
        op = r.random()
        new = r.choice(ALPHABET) + "\n"
        if op < 0.4 and i < len(lines):
            lines[i] = new
        elif op < 0.7 or not lines:
            lines.insert(i, new)
        elif i < len(lines):
            del lines[i]
    if lines and not lines[-1].endswith("\n"):
        lines[-1] += "\n"
    return "".join(lines).encode()


class Pair:
    def __init__(self, base: Path):
        self.g, self.l = base / "git", base / "ldv"
        self.g.mkdir()
        self.l.mkdir()
        git(self.g, "init", "-q", "-b", "main")
        self.ws = Workspace(Repo.init(self.l, MasterKey.generate(), kdf="fast"))
        self.t = 1_700_000_000

    def files(self) -> dict[str, bytes]:
        out = {}
        for p in PATHS:
            full = self.l / p
            if full.is_file():
                out[p] = full.read_bytes()
        return out

    def put(self, path: str, data: bytes | None, exe: bool = False) -> None:
        for root in (self.g, self.l):
            full = root / path
            if data is None:
                full.unlink()
                continue
            full.parent.mkdir(parents=True, exist_ok=True)
            full.write_bytes(data)
            os.chmod(full, 0o755 if exe else 0o644)

    def commit(self, msg: str) -> None:
        self.t += 10      # the same dates: Git orders merge bases by date too
        git(self.g, "add", "-A")
        git(self.g, "commit", "-q", "--allow-empty", "-m", msg,
            env={"GIT_AUTHOR_DATE": f"@{self.t} +0000", "GIT_COMMITTER_DATE": f"@{self.t} +0000"})
        self.ws.add(["."])
        self.ws.commit(msg, author=ME, now=self.t, allow_empty=True)

    def switch(self, branch: str, create: bool = False) -> None:
        git(self.g, "checkout", "-q", *(["-b"] if create else []), branch)
        self.ws.switch(branch, create=create)


def random_edits(r: random.Random, pair: Pair, paths: list[str] = PATHS) -> None:
    for _ in range(r.randint(1, 4)):
        path = r.choice(paths)
        cur = pair.files().get(path)
        roll = r.random()
        if cur is None:
            # new files are never executable: for an add/add whose modes differ Git's
            # strategies disagree (recursive takes ours', ort conflicts, as ldv does)
            pair.put(path, random_text(r))
        elif roll < 0.15:
            pair.put(path, None)
        elif roll < 0.25 and path in pair.base_paths:
            pair.put(path, cur, not os.access(pair.l / path, os.X_OK))
        else:
            pair.put(path, edit_text(r, cur), os.access(pair.l / path, os.X_OK))


def snapshot(root: Path) -> dict[str, tuple[bytes, bool]]:
    out = {}
    for p in PATHS:
        full = root / p
        if full.is_file():
            out[p] = (full.read_bytes(), os.access(full, os.X_OK))
    return out


def run_trial(tmp: Path, seed: int) -> tuple[bool, list[str]]:
    r = random.Random(seed)
    pair = Pair(tmp)
    for p in r.sample(PATHS, r.randint(2, len(PATHS))):
        pair.put(p, random_text(r))
    pair.commit("base")
    pair.base_paths = set(pair.files())
    pair.switch("side", create=True)
    for i in range(r.randint(1, 2)):
        random_edits(r, pair)
        pair.commit(f"side {i}")
    pair.switch("main")
    for i in range(r.randint(1, 2)):
        random_edits(r, pair)
        pair.commit(f"main {i}")

    g = git(pair.g, "merge", "-q", "--no-edit", "-s", "recursive", "-X", "no-renames",
            "side", check=False)
    side = pair.ws.repo.refs.read("refs/heads/side")
    try:
        mergeops.merge(pair.ws, side, "side", author=ME, now=pair.t + 10)
        ldv_clean = True
    except MergeConflict:
        ldv_clean = False
    where = f"seed {seed}: git said {g.stdout.decode()} {g.stderr.decode()}"
    assert (g.returncode == 0) == ldv_clean, where
    git_status = git(pair.g, "status", "--porcelain").stdout.decode().splitlines()
    assert pair.ws.status().porcelain_lines() == git_status, where
    assert snapshot(pair.l) == snapshot(pair.g), where
    if ldv_clean:
        tree = git(pair.g, "ls-tree", "-r", "HEAD").stdout.decode().splitlines()
        modes = sorted((line.split("\t")[1], line.split()[0]) for line in tree)
        ours = pair.ws.files_of(pair.ws.head_tree())
        assert sorted((p, f"{e.mode:06o}") for p, e in ours.items()) == modes, where
    return ldv_clean, git_status


def test_random_merges_agree_with_git(tmp_path):
    verdicts = []
    for seed in range(TRIALS):
        trial = tmp_path / str(seed)
        trial.mkdir()
        verdicts.append(run_trial(trial, seed))
        shutil.rmtree(trial)
    # the trials exercised both outcomes and every kind of unmerged path Git shows
    assert {clean for clean, _ in verdicts} == {True, False}
    codes = {line[:2] for _, lines in verdicts for line in lines}
    assert {"UU", "DU", "UD"} <= codes, codes


def take_ours(pair: Pair, other: str) -> None:
    """Conclude a conflicted merge with HEAD's files (Git: merge -s ours)."""
    git(pair.g, "merge", "--abort")
    git(pair.g, "merge", "-q", "--no-edit", "-s", "ours", other)
    head = pair.ws.files_of(pair.ws.head_tree())
    for p in PATHS:
        full = pair.l / p
        if p in head:
            full.parent.mkdir(parents=True, exist_ok=True)
            full.write_bytes(read_blob(pair.ws.repo.odb, head[p].oid))
            os.chmod(full, 0o755 if head[p].mode == MODE_EXEC else 0o644)
        elif full.exists():
            full.unlink()
    pair.ws.add(["."])
    mergeops.continue_(pair.ws, author=ME, now=pair.t + 5)


def run_criss_cross(tmp: Path, seed: int) -> tuple[bool, bool]:
    """base; side and main each edit (overlapping paths); each merges the other's
    first tip (a conflict there is concluded with its own side's files, so the two
    merges differ and the virtual base holds conflicts); each edits again; then
    main merges side.  Returns (clean, whether the virtual base had conflicts)."""
    r = random.Random(seed)
    pair = Pair(tmp)
    for p in r.sample(PATHS, r.randint(3, len(PATHS))):
        pair.put(p, random_text(r))
    pair.commit("base")
    pair.base_paths = set(pair.files())
    pair.switch("side", create=True)
    random_edits(r, pair, PATHS[:4])
    pair.commit("S1")
    git(pair.g, "branch", "s1")
    s1 = pair.ws.head_commit()
    pair.switch("main")
    random_edits(r, pair, PATHS[2:])
    pair.commit("M1")
    m1 = pair.ws.head_commit()
    git(pair.g, "branch", "m1")
    inner = False
    for branch, other, oid in (("main", "s1", s1), ("side", "m1", m1)):
        pair.switch(branch)
        g = git(pair.g, "merge", "-q", "--no-edit", "-s", "recursive", "-X", "no-renames",
                other, check=False)
        try:
            mergeops.merge(pair.ws, oid, other, author=ME, now=pair.t + 5)
            assert g.returncode == 0, f"seed {seed}"
        except MergeConflict:
            assert g.returncode != 0, f"seed {seed}"
            take_ours(pair, other)
            inner = True
    # main is now M1+S1 merged, side S1+M1: the two tips have two merge bases
    for branch in ("side", "main"):
        pair.switch(branch)
        random_edits(r, pair)
        pair.commit(f"{branch} 2")
    g = git(pair.g, "merge", "-q", "--no-edit", "-s", "recursive", "-X", "no-renames",
            "side", check=False)
    side = pair.ws.repo.refs.read("refs/heads/side")
    try:
        out = mergeops.merge(pair.ws, side, "side", author=ME, now=pair.t + 10)
        clean, bases = True, out.bases
    except MergeConflict as e:
        clean, bases = False, e.outcome.bases
    where = f"seed {seed}: git said {g.stdout.decode()} {g.stderr.decode()}"
    assert bases == 2, where
    assert (g.returncode == 0) == clean, where
    assert pair.ws.status().porcelain_lines() == \
        git(pair.g, "status", "--porcelain").stdout.decode().splitlines(), where
    assert snapshot(pair.l) == snapshot(pair.g), where
    return clean, inner


def test_criss_cross_merges_agree_with_git(tmp_path):
    """Two merge bases: ldv's virtual base gives what Git's recursive strategy gives."""
    verdicts = []
    for seed in range(CRISS_CROSS_TRIALS):
        trial = tmp_path / f"cc{seed}"
        trial.mkdir()
        verdicts.append(run_criss_cross(trial, seed))
        shutil.rmtree(trial)
    # clean and conflicted outcomes, virtual bases with and without conflicts
    assert {clean for clean, _ in verdicts} == {True, False}
    assert {inner for _, inner in verdicts} == {True, False}
