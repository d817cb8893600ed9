"""Builders for history tests: a real (encrypted, on-disk) repository and commits
made straight through plumbing, so history code is tested without the work tree."""
from __future__ import annotations

from pathlib import Path

from ldv.plumbing.blobs import write_bytes
from ldv.plumbing.chunking import Chunker
from ldv.plumbing.keys import MasterKey
from ldv.plumbing.objects import MODE_FILE, Commit, write_commit
from ldv.plumbing.repository import Repo
from ldv.plumbing.trees import build_tree

KEY_HEX = "11" * 32


def make_repo(path: Path) -> Repo:
    return Repo.init(Path(path), MasterKey.from_hex(KEY_HEX), kdf="fast")


def make_commit(repo: Repo, files: dict, parents=(), message: str = "msg",
                when: int = 1_700_000_000, branch: str | None = "refs/heads/main") -> bytes:
    """Commit ``files`` ({path: bytes or (mode, bytes)}); move ``branch`` to it."""
    chunker = Chunker(repo.keyring.chunker_seed)
    flat = {}
    for path, spec in files.items():
        mode, data = spec if isinstance(spec, tuple) else (MODE_FILE, spec)
        oid, size = write_bytes(repo.odb, data, chunker=chunker)
        flat[path] = (mode, oid, size)
    tree = build_tree(repo.odb, flat)
    c = Commit(tree, list(parents), "T <t@x>", when, 60, "T <t@x>", when, 60, message)
    oid = write_commit(repo.odb, c)
    repo.odb.flush()
    if branch:
        repo.refs.set(branch, oid)
    return oid


def build_history(repo: Repo, n: int, start: dict | None = None) -> list[bytes]:
    """``n`` linear commits on main; commit i sets file ``f.txt`` to line i added."""
    files = dict(start or {})
    oids: list[bytes] = []
    text = b""
    for i in range(n):
        text += f"line {i}\n".encode()
        files["f.txt"] = text
        oids.append(make_commit(repo, files, oids[-1:], f"commit {i}", 1_700_000_000 + i))
    return oids
