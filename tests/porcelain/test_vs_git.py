"""The same random edits, adds, commits, switches and checkouts applied to a Git
repository and to an ldv repository give, after every step, the same work tree
byte for byte, the same `status --porcelain`, the same `ls-tree -r HEAD` and the
same success or refusal of each command."""
from __future__ import annotations

import hashlib
import os
import random
import shutil
import subprocess
from pathlib import Path

import pytest

from ldv.plumbing.blobs import read_blob
from ldv.plumbing.errors import LdvError
from ldv.plumbing.keys import MasterKey
from ldv.plumbing.repository import Repo
from ldv.porcelain.worktree import Identity, Workspace

PATHS = ["a", "b.txt", "d/c", "d/e/f", "é.txt", "sp ace", "x", "x/y"]
CONTENTS = [b"", b"1\n", b"2\n", b"line\n" * 3, b"\x00\xff\x00"]
ME = Identity("T", "t@example.com")
GIT_ENV = {**os.environ, "GIT_AUTHOR_NAME": "T", "GIT_AUTHOR_EMAIL": "t@example.com",
           "GIT_COMMITTER_NAME": "T", "GIT_COMMITTER_EMAIL": "t@example.com",
           "GIT_CONFIG_NOSYSTEM": "1", "HOME": "/nonexistent", "LC_ALL": "C"}


def git(root: Path, *args, check=False) -> subprocess.CompletedProcess:
    return subprocess.run(["git", "-c", "status.renames=false", "-c", "diff.renames=false",
                           "-c", "core.fileMode=true", "-c", "advice.detachedHead=false",
                           *args], cwd=root, env=GIT_ENV, capture_output=True, check=check)


class Pair:
    """A git work tree and an ldv work tree driven in lockstep."""

    def __init__(self, base: Path, rng: random.Random, ignore: str | None = None):
        self.g, self.l = base / "git", base / "ldv"
        self.g.mkdir()
        self.l.mkdir()
        git(self.g, "init", "-q", "-b", "main", check=True)
        self.ws = Workspace(Repo.init(self.l, MasterKey.generate(), kdf="fast"))
        self.rng = rng
        self.paths = list(PATHS)
        if ignore is not None:      # the same rules as .gitignore and .ldvignore
            (self.g / ".gitignore").write_text(ignore)
            (self.l / ".ldvignore").write_text(ignore)
            self.paths += ["z.tmp", "d/e/g", "k/z.tmp"]
        self.commits: list[tuple[str, bytes]] = []
        self.branches = ["main"]
        self.log: list[str] = []

    # -- file edits (identical on both sides) ----------------------------------

    def edit(self) -> None:
        r = self.rng
        p = r.choice(self.paths)
        kind = r.random()
        for root in (self.g, self.l):
            _clear_way(root, p)
        if kind < 0.15:
            for root in (self.g, self.l):
                _remove(root / p)
            self.log.append(f"rm -rf {p}")
            return
        if kind < 0.25:
            target = r.choice(["a", "b.txt", "nowhere"])
            for root in (self.g, self.l):
                _remove(root / p)
                os.symlink(target, root / p)
            self.log.append(f"ln -s {target} {p}")
            return
        data, exe = r.choice(CONTENTS), r.random() < 0.2
        for root in (self.g, self.l):
            _remove(root / p)
            (root / p).write_bytes(data)
            os.chmod(root / p, 0o755 if exe else 0o644)
        self.log.append(f"write {p} {data[:8]!r} exec={exe}")

    # -- commands: (git args, ldv callable) ------------------------------------

    def command(self):
        r = self.rng
        k = r.random()
        if k < 0.25:
            specs = r.choice([["."], [r.choice(self.paths)], ["d"], [r.choice(self.paths), "."]])
            return ["add", "--", *specs], lambda: self.ws.add(specs)
        if k < 0.33:
            return ["add", "-u"], lambda: self.ws.add(["."], update_only=True)
        if k < 0.5:
            all_ = r.random() < 0.4
            msg = f"c{len(self.commits)}"
            return (["commit", "-q", "-m", msg] + (["-a"] if all_ else []),
                    lambda: self.ws.commit(msg, all=all_, author=ME, now=1_700_000_000))
        if k < 0.6 and self.commits:
            name = r.choice(self.branches + [f"b{len(self.branches)}"])
            if name in self.branches:
                return ["switch", "-q", name], lambda: self.ws.switch(name)
            self.branches.append(name)
            return ["switch", "-q", "-c", name], lambda: self.ws.switch(name, create=True)
        if k < 0.66 and self.commits:
            g, l = r.choice(self.commits)
            return (["checkout", "-q", "--detach", g],
                    lambda: self.ws.checkout_detached(l))
        if k < 0.74 and self.commits:
            p = r.choice(self.paths)
            if r.random() < 0.5:
                return ["checkout", "-q", "--", p], lambda: self.ws.checkout_paths([p])
            return (["restore", "--staged", "--", p],
                    lambda: self.ws.restore([p], staged=True, worktree=False))
        if k < 0.82:
            p, cached = r.choice(self.paths + ["d"]), r.random() < 0.5
            rec = p == "d"
            args = ["rm", "-q"] + (["--cached"] if cached else []) + (["-r"] if rec else [])
            return args + ["--", p], lambda: self.ws.rm([p], cached=cached, recursive=rec)
        if k < 0.88 and self.commits:
            g, l = r.choice(self.commits)
            mode = r.choice(["soft", "mixed", "hard"])
            return ["reset", "-q", f"--{mode}", g], lambda: self.ws.reset(l, mode=mode)
        return None, None

    def run(self, args, fn) -> None:
        res = git(self.g, *args)
        try:
            out = fn()
            ok = True
        except LdvError as e:
            ok, out = False, e
        self.log.append(f"git {' '.join(args)} -> {res.returncode}; ldv ok={ok}")
        assert (res.returncode == 0) == ok, "\n".join(self.log + [res.stderr.decode(),
                                                                 repr(out)])
        if ok and args[0] == "commit":
            sha = git(self.g, "rev-parse", "HEAD", check=True).stdout.decode().strip()
            self.commits.append((sha, out))

    # -- comparison ------------------------------------------------------------

    def compare(self) -> None:
        steps = "\n".join(self.log)
        assert snapshot(self.g, ".git") == _renamed(snapshot(self.l, ".ldv")), steps
        gs = git(self.g, "status", "--porcelain", check=True).stdout.decode().splitlines()
        ls = [line.replace(".ldvignore", ".gitignore")
              for line in self.ws.status().porcelain_lines()]
        assert gs == ls, f"{steps}\ngit: {gs}\nldv: {ls}"
        assert git_tree(self.g) == sorted((p.replace(".ldvignore", ".gitignore"), m, h)
                                          for p, m, h in ldv_tree(self.ws)), steps


def _renamed(snap: dict) -> dict:
    return {k.replace(".ldvignore", ".gitignore"): v for k, v in snap.items()}


def _clear_way(root: Path, p: str) -> None:
    # make room for p: a file where a parent directory goes is removed
    parts = p.split("/")
    for k in range(1, len(parts)):
        q = root.joinpath(*parts[:k])
        if q.is_symlink() or q.is_file():
            q.unlink()
    (root / p).parent.mkdir(parents=True, exist_ok=True)


def _remove(p: Path) -> None:
    if p.is_symlink() or p.is_file():
        p.unlink()
    elif p.is_dir():
        shutil.rmtree(p)


def snapshot(root: Path, skip: str) -> dict:
    out = {}
    for dirpath, dirnames, filenames in os.walk(root):
        rel = Path(dirpath).relative_to(root)
        if rel == Path("."):
            dirnames[:] = [d for d in dirnames if d != skip]
        for name in filenames + [d for d in dirnames if (Path(dirpath) / d).is_symlink()]:
            p = Path(dirpath) / name
            key = (rel / name).as_posix()
            if p.is_symlink():
                out[key] = ("link", os.readlink(p))
            else:
                out[key] = ("file", p.read_bytes(), os.stat(p).st_mode & 0o111 != 0)
        for d in dirnames:   # empty directories must vanish as they do in git
            if not (Path(dirpath) / d).is_symlink() and not any((Path(dirpath) / d).iterdir()):
                out[(rel / d).as_posix() + "/"] = ("emptydir",)
    return out


def git_tree(root: Path) -> list:
    res = git(root, "ls-tree", "-r", "-z", "HEAD")
    if res.returncode:
        return []
    out = []
    for item in res.stdout.decode().split("\0"):
        if item:
            meta, path = item.split("\t", 1)
            mode, _, sha = meta.split()
            out.append((path, mode, sha))
    return sorted(out)


def ldv_tree(ws: Workspace) -> list:
    out = []
    for path, e in ws.files_of(ws.head_tree()).items():
        data = read_blob(ws.repo.odb, e.oid)
        sha = hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()
        out.append((path, f"{e.mode:06o}", sha))
    return sorted(out)


@pytest.mark.parametrize("seed", range(8))
def test_same_as_git(tmp_path, seed):
    rng = random.Random(seed)
    pair = Pair(tmp_path, rng)
    for _ in range(60):
        if rng.random() < 0.45:
            pair.edit()
        else:
            args, fn = pair.command()
            if args is None:
                continue
            pair.run(args, fn)
        pair.compare()


@pytest.mark.parametrize("seed", range(4))
def test_same_as_git_with_ignore_rules(tmp_path, seed):
    rng = random.Random(1000 + seed)
    pair = Pair(tmp_path, rng, ignore="*.tmp\nd/e/\n!k/z.tmp\n")
    for _ in range(60):
        if rng.random() < 0.45:
            pair.edit()
        else:
            args, fn = pair.command()
            if args is None:
                continue
            pair.run(args, fn)
        pair.compare()


def test_racy_same_size_edit_is_seen(tmp_path):
    """A same-size rewrite right after add (same mtime granule) still shows up."""
    pair = Pair(tmp_path, random.Random(0))
    for root in (pair.g, pair.l):
        (root / "a").write_bytes(b"1\n")
    pair.run(["add", "a"], lambda: pair.ws.add(["a"]))
    pair.run(["commit", "-q", "-m", "x"], lambda: pair.ws.commit("x", author=ME))
    for root in (pair.g, pair.l):
        st = os.stat(root / "a")
        (root / "a").write_bytes(b"2\n")
        os.utime(root / "a", ns=(st.st_atime_ns, st.st_mtime_ns))
    pair.compare()
    assert pair.ws.status().porcelain_lines() == [" M a"]
