"""Repo: one repository on disk, the handle porcelain works with.

    <worktree>/.ldv/
      repo          {"format": 1, "id": "<hex>"}      plaintext: needed before the key
      keyring       the keyring sealed under the master key's KEK (keys.py)
      HEAD, refs/   refs (refs.py); logs/ holds the sealed reflogs
      objects/      packs/<xx>/<name> (pack.py) and pack-index (pack_index.py)
      config        sealed (config.py)
      locks/        flock files (lock.py)
      <secret>      sealed files written by write_secret (index, merge state, ...)
"""
from __future__ import annotations

import json
from functools import cached_property
from pathlib import Path

from . import crypto
from .backends.local import LocalBackend, atomic_write
from .config import Config
from .errors import (BadInput, CorruptObject, MissingKey, NotARepository,
                     RepositoryError)
from .keys import Keyring, keyring_params, unwrap_keyring, wrap_keyring
from .lock import Lock
from .refs import RefStore

LDV_DIR = ".ldv"
FORMAT = 1
DEFAULT_BRANCH = "refs/heads/main"
_RESERVED = {"repo", "keyring", "HEAD", "refs", "logs", "objects", "config", "locks"}


class Repo:
    """An open repository: keyring, object database, refs, config, sealed files."""

    def __init__(self, root: Path, repo_id: str, keyring: Keyring, master):
        self.root = Path(root)
        self.ldv_dir = self.root / LDV_DIR
        self.repo_id = repo_id
        self.keyring = keyring
        self._master = master
        self.config = Config(self.ldv_dir / "config", keyring.seal_key)
        self.refs = RefStore(self.ldv_dir, keyring.seal_key, identity=self._identity)

    @cached_property
    def odb(self):
        """The object database, opened on first use: `status` on a clean index
        never needs it (nor the object store's imports)."""
        from .object_store import PackedObjectDatabase
        return PackedObjectDatabase(
            LocalBackend(self.ldv_dir / "objects"), self.keyring,
            self.ldv_dir / "objects" / "pack-index", self.ldv_dir / "locks")

    def _identity(self) -> str:
        """user.name <user.email> from the config, for reflog records."""
        try:
            name, email = self.config.get("user.name"), self.config.get("user.email")
        except CorruptObject:
            return ""
        return f"{name or ''} <{email or ''}>".strip() if name or email else ""

    # -- creating and opening ----------------------------------------------------

    @classmethod
    def init(cls, worktree: Path, master, *, kdf: str = "scrypt",
             keyring_file: bytes | None = None, repo_id: str | None = None) -> "Repo":
        """Create ``<worktree>/.ldv``.  A clone passes the remote's ``keyring_file``
        and ``repo_id`` so that the same master key opens it."""
        worktree = Path(worktree)
        ldv = worktree / LDV_DIR
        if (ldv / "repo").exists():
            raise RepositoryError(f"{worktree} is already an ldv repository",
                                  hint="use it, or choose another directory")
        if keyring_file is not None:
            ring = unwrap_keyring(keyring_file, master)
        else:
            ring = Keyring.generate()
            keyring_file = wrap_keyring(ring, master, kdf)
        repo_id = repo_id or crypto.random_bytes(16).hex()
        for sub in ("refs/heads", "refs/tags", "objects", "locks", "logs"):
            (ldv / sub).mkdir(parents=True, exist_ok=True)
        atomic_write(ldv / "keyring", keyring_file, 0o600)
        repo = cls(worktree, repo_id, ring, master)
        repo.refs.set_symbolic("HEAD", DEFAULT_BRANCH)
        # written last: a half-made .ldv is not yet a repository
        atomic_write(ldv / "repo", json.dumps({"format": FORMAT, "id": repo_id}).encode())
        return repo

    @classmethod
    def open(cls, path: Path, master) -> "Repo":
        root = Path(path)
        repo_id = cls.read_repo_id(root)
        try:
            raw = (root / LDV_DIR / "keyring").read_bytes()
        except FileNotFoundError:
            raise MissingKey(f"{root / LDV_DIR / 'keyring'} is missing",
                             hint="restore it from a clone, a remote or a backup") from None
        return cls(root, repo_id, unwrap_keyring(raw, master), master)

    @staticmethod
    def discover(start: Path) -> Path:
        """The nearest directory at or above ``start`` holding .ldv."""
        start = Path(start).resolve()
        for d in (start, *start.parents):
            if (d / LDV_DIR / "repo").is_file():
                return d
        raise NotARepository(f"not an ldv repository (or any parent): {start}",
                             hint="run `ldv init` first")

    @staticmethod
    def read_repo_id(worktree: Path) -> str:
        path = Path(worktree) / LDV_DIR / "repo"
        try:
            meta = json.loads(path.read_text())
        except FileNotFoundError:
            raise NotARepository(f"not an ldv repository: {worktree}",
                                 hint="run `ldv init` first") from None
        except ValueError:
            raise CorruptObject(f"{path} is damaged", hint="it holds the repository id "
                                "as JSON; restore it from a backup") from None
        if meta.get("format") != FORMAT:
            raise RepositoryError(f"{worktree} has repository format {meta.get('format')}",
                                  hint=f"this ldv reads format {FORMAT}; upgrade ldv")
        return meta["id"]

    # -- keys ------------------------------------------------------------------

    def keyring_file(self) -> bytes:
        """The sealed keyring as stored (opaque; travels to remotes)."""
        return (self.ldv_dir / "keyring").read_bytes()

    def rotate_data_key(self) -> int:
        """New objects go under a fresh data key; old packs keep theirs."""
        with self.lock("keyring", timeout=10):
            self.odb.flush()
            key_id = self.keyring.rotate_data_key()
            self._store_keyring(self._master, _profile_of(self.keyring_file()))
        return key_id

    def merge_keyring(self, keyring_file: bytes) -> int:
        """Adopt data keys from another copy of this repository's keyring (a fetch
        after a teammate rotated); return how many keys were new."""
        other = unwrap_keyring(keyring_file, self._master)
        if other.id_key != self.keyring.id_key:
            raise RepositoryError("that keyring belongs to another repository",
                                  hint="check the remote's URL")
        with self.lock("keyring", timeout=10):
            new = {k: v for k, v in other.data_keys.items()
                   if k not in self.keyring.data_keys}
            if new:
                self.keyring.data_keys.update(new)
                self._store_keyring(self._master, _profile_of(self.keyring_file()))
        return len(new)

    def rewrap(self, new_master, *, kdf: str = "scrypt") -> None:
        """Seal the keyring under a new master key or passphrase; nothing else changes."""
        with self.lock("keyring", timeout=10):
            self._store_keyring(new_master, kdf)
            self._master = new_master

    def _store_keyring(self, master, kdf: str) -> None:
        atomic_write(self.ldv_dir / "keyring", wrap_keyring(self.keyring, master, kdf),
                     0o600)

    # -- sealed files, locks ---------------------------------------------------

    def _secret_path(self, name: str) -> Path:
        parts = name.split("/")
        if not name or any(p in ("", ".", "..") or p.startswith(".") for p in parts) \
                or parts[0] in _RESERVED:
            raise BadInput(f"invalid sealed file name {name!r}")
        return self.ldv_dir.joinpath(*parts)

    def write_secret(self, name: str, data: bytes) -> None:
        sealed = crypto.seal(self.keyring.seal_key, data, b"ldv secret:" + name.encode())
        atomic_write(self._secret_path(name), sealed, 0o600)

    def read_secret(self, name: str) -> bytes | None:
        try:
            sealed = self._secret_path(name).read_bytes()
        except FileNotFoundError:
            return None
        try:
            return crypto.unseal(self.keyring.seal_key, sealed,
                                 b"ldv secret:" + name.encode())
        except crypto.DecryptError:
            raise CorruptObject(f".ldv/{name} is damaged or was not written by this "
                                "repository", hint=f"delete .ldv/{name} if it can be "
                                "regenerated") from None

    def delete_secret(self, name: str) -> None:
        self._secret_path(name).unlink(missing_ok=True)

    def lock(self, name: str = "repo", timeout: float = 0) -> Lock:
        return Lock(self.ldv_dir / "locks" / name, timeout, what="the repository")

    def close(self) -> None:
        if "odb" in self.__dict__:          # opened (cached_property)
            self.odb.flush()

    def __enter__(self) -> "Repo":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def _profile_of(keyring_file: bytes) -> str:
    """The KDF profile a keyring was sealed with, to keep it on a rewrite."""
    params = keyring_params(keyring_file)
    for name, prof in crypto.KDF_PROFILES.items():
        if all(params.get(k) == v for k, v in prof.items()):
            return name
    return "scrypt"
