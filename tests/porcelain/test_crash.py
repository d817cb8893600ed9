"""SIGKILL an `ldv commit -a` of a large change at several points: afterwards
`ldv fsck` is clean, the previous commit is intact, and a new commit succeeds."""
from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from ldv.plumbing.blobs import read_blob
from ldv.plumbing.keys import MasterKey
from ldv.plumbing.objects import read_commit
from ldv.plumbing.repository import Repo
from ldv.plumbing.trees import walk

FILES = 4
FILE_SIZE = 12 * 2**20
DELAYS = [0.05, 0.2, 0.4, 0.7, 1.0, 1.5]      # seconds after start: early to late


def ldv_cmd() -> list[str]:
    exe = shutil.which("ldv")
    return [exe] if exe else [sys.executable, "-m", "ldv.cli.main"]


@pytest.fixture
def env(tmp_path):
    key = MasterKey.generate()
    e = {**os.environ, "LDV_MASTER_KEY": key.hex(), "XDG_CONFIG_HOME": str(tmp_path / "cfg"),
         "LDV_AUTHOR_NAME": "Crash", "LDV_AUTHOR_EMAIL": "crash@example.com"}
    return e, key


def run(root: Path, env, *args, check=True) -> subprocess.CompletedProcess:
    res = subprocess.run(ldv_cmd() + ["-q", *args], cwd=root, env=env, capture_output=True,
                         timeout=120)
    if check and res.returncode != 0:
        raise AssertionError(f"ldv {' '.join(args)} -> {res.returncode}: {res.stderr!r}")
    return res


def committed_files(root: Path, key: MasterKey) -> tuple[bytes, dict[str, bytes]]:
    repo = Repo.open(root, key)
    head = repo.refs.read("HEAD")
    tree = read_commit(repo.odb, head).tree
    return head, {p: read_blob(repo.odb, e.oid) for p, e in walk(repo.odb, tree)}


@pytest.mark.slow
def test_sigkill_during_commit_loses_nothing(tmp_path, env):
    env, key = env
    root = tmp_path / "data"
    root.mkdir()
    run(root, env, "init")
    for i in range(FILES):
        (root / f"part{i}.bin").write_bytes(os.urandom(FILE_SIZE))
    run(root, env, "add", ".")
    run(root, env, "commit", "-m", "first")
    first, first_files = committed_files(root, key)

    history = [first]
    interrupted = 0
    for n, delay in enumerate(DELAYS):
        for i in range(FILES):      # a large change to commit
            (root / f"part{i}.bin").write_bytes(os.urandom(FILE_SIZE))
        proc = subprocess.Popen(ldv_cmd() + ["-q", "commit", "-a", "-m", f"try {n}"],
                                cwd=root, env=env, stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL)
        time.sleep(delay)
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
        fsck = run(root, env, "fsck", check=False)
        assert fsck.returncode == 0, fsck.stdout + fsck.stderr
        head, files = committed_files(root, key)
        assert head in history or read_commit(Repo.open(root, key).odb, head).parents == \
            [history[-1]], "HEAD must be the old commit or a complete new one"
        if head not in history:
            history.append(head)
        else:
            interrupted += 1
        run(root, env, "status")          # the index still loads

    assert interrupted >= 1, "no kill landed before the commit finished"
    # the first commit is intact, byte for byte
    repo = Repo.open(root, key)
    tree = read_commit(repo.odb, first).tree
    assert {p: read_blob(repo.odb, e.oid) for p, e in walk(repo.odb, tree)} == first_files
    # and a new commit succeeds and is what is on disk
    run(root, env, "commit", "-a", "-m", "after the crashes", "--allow-empty")
    head, files = committed_files(root, key)
    assert files == {p.name: p.read_bytes() for p in root.iterdir() if p.name != ".ldv"}
    assert run(root, env, "fsck", check=False).returncode == 0


@pytest.mark.slow
def test_sigkill_during_add_leaves_a_usable_index(tmp_path, env):
    env, key = env
    root = tmp_path / "data"
    root.mkdir()
    run(root, env, "init")
    (root / "keep.txt").write_text("committed\n")
    run(root, env, "add", ".")
    run(root, env, "commit", "-m", "first")
    first, first_files = committed_files(root, key)
    for delay in (0.1, 0.4, 0.8):
        for i in range(FILES):
            (root / f"part{i}.bin").write_bytes(os.urandom(FILE_SIZE))
        proc = subprocess.Popen(ldv_cmd() + ["-q", "add", "."], cwd=root, env=env,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(delay)
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
        assert run(root, env, "fsck", check=False).returncode == 0
        run(root, env, "status")                    # the index is old or new, never torn
        assert committed_files(root, key) == (first, first_files)
    run(root, env, "add", ".")
    run(root, env, "commit", "-m", "second")
    _, files = committed_files(root, key)
    assert files == {p.name: p.read_bytes() for p in root.iterdir() if p.name != ".ldv"}
