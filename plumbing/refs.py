"""Refs: HEAD, refs/heads/*, refs/tags/*, refs/remotes/*, with a sealed reflog.

A ref is a file under .ldv holding a hex id (or ``ref: <target>`` for a symbolic
ref).  Ref names are not secret (the server needs them); the reflog is: each record
is sealed separately so appending never rewrites the log.  Every change is a
compare-and-swap under the refs lock with an atomic replace.
"""
from __future__ import annotations

import json
import os
import re
import struct
import time
from collections import namedtuple
from pathlib import Path

from . import crypto
from .backends.local import atomic_write
from .errors import CorruptObject, InvalidRefName, RefConflict
from .ids import HEX_LEN
from .lock import Lock


class _Any:
    def __repr__(self) -> str:
        return "ANY"


ANY = _Any()   # "whatever the ref holds now" for compare-and-swap
_SYMREF = "ref: "
_BAD_CHARS = re.compile(r"[\x00-\x20\x7f~^:?*\[\\]")
_PSEUDO = re.compile(r"[A-Z][A-Z_]*\Z")
MAX_SYMREF_DEPTH = 5


# One reflog record: old and new commit ids (None: the ref did not exist / was
# deleted), who (``Name <email>``), when (Unix seconds) and the message.
ReflogEntry = namedtuple("ReflogEntry", "old new who when message")


def validate_ref_name(name: str) -> None:
    """Git's check-ref-format rules; one-level names only for HEAD-like pseudo refs."""
    why = _ref_name_problem(name)
    if why:
        raise InvalidRefName(f"invalid ref name {name!r}: {why}",
                             hint="see `git check-ref-format` for the rules")


def _ref_name_problem(name: str) -> str | None:
    if not name or name == "@":
        return "empty or '@'"
    if _BAD_CHARS.search(name):
        return "contains a control character, space or one of ~^:?*[\\"
    if ".." in name or "@{" in name or "//" in name:
        return "contains '..', '@{' or '//'"
    if name.startswith("/") or name.endswith("/") or name.endswith("."):
        return "starts or ends with '/' or ends with '.'"
    parts = name.split("/")
    if any(p.startswith(".") or p.endswith(".lock") for p in parts):
        return "a component starts with '.' or ends with '.lock'"
    if len(parts) == 1 and not _PSEUDO.match(name):
        return "a one-level name must be a pseudo ref like HEAD"
    return None


class RefStore:
    """Refs in files under ``ldv_dir``; reflog records sealed with ``seal_key``."""

    def __init__(self, ldv_dir: Path, seal_key: bytes, identity=""):
        self.dir = Path(ldv_dir)
        self._key = seal_key
        # "Name <email>" for reflog records, or a function returning it (asked
        # only when a record is written)
        self.identity = identity

    # -- reading ---------------------------------------------------------------

    def _raw(self, name: str) -> str | None:
        validate_ref_name(name)
        try:
            return (self.dir / name).read_text().strip()
        except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
            return None

    def _resolve_name(self, name: str) -> str:
        """Follow symbolic refs to the name that holds an id (which may not exist)."""
        for _ in range(MAX_SYMREF_DEPTH):
            raw = self._raw(name)
            if raw is None or not raw.startswith(_SYMREF):
                return name
            name = raw[len(_SYMREF):]
        raise InvalidRefName(f"symbolic ref {name!r} loops", hint="fix it with set_symbolic")

    def read(self, name: str) -> bytes | None:
        target = self._resolve_name(name)
        raw = self._raw(target)
        if raw is None:
            return None
        if len(raw) != HEX_LEN:
            raise CorruptObject(f"ref {target} does not hold an id",
                                hint=f"fix or delete .ldv/{target}")
        try:
            return bytes.fromhex(raw)
        except ValueError:
            raise CorruptObject(f"ref {target} does not hold an id",
                                hint=f"fix or delete .ldv/{target}") from None

    def read_symbolic(self, name: str) -> str | None:
        raw = self._raw(name)
        if raw is not None and raw.startswith(_SYMREF):
            return raw[len(_SYMREF):]
        return None

    def list(self, prefix: str = "refs/") -> dict[str, bytes]:
        out: dict[str, bytes] = {}
        base = self.dir / "refs"
        if not base.is_dir():
            return out
        for path in sorted(base.rglob("*")):
            if path.is_file() and not path.name.startswith("."):
                name = path.relative_to(self.dir).as_posix()
                if name.startswith(prefix) and _ref_name_problem(name) is None:
                    oid = self.read(name)
                    if oid is not None:
                        out[name] = oid
        return out

    # -- writing ---------------------------------------------------------------

    def _lock(self) -> Lock:
        return Lock(self.dir / "locks" / "refs", timeout=10, what="the refs")

    def set(self, name: str, new: bytes, *, old=ANY, message: str = "") -> None:
        """Point ``name`` (following symbolic refs) at ``new`` if it holds ``old``."""
        if len(new) != 32:
            raise ValueError("a ref must point at a 32-byte id")
        with self._lock():
            target = self._resolve_name(name)
            current = self.read(target)
            _check(target, current, old)
            self._check_path_free(target)
            atomic_write(self.dir / target, (new.hex() + "\n").encode())
            self._log(target, current, new, message)
            if target != name:
                self._log(name, current, new, message)

    def set_detached(self, name: str, new: bytes, *, old=ANY, message: str = "") -> None:
        """Point ``name`` itself at ``new``, replacing a symbolic ref (detached HEAD)."""
        if len(new) != 32:
            raise ValueError("a ref must point at a 32-byte id")
        with self._lock():
            current = self.read(name)
            _check(name, current, old)
            atomic_write(self.dir / name, (new.hex() + "\n").encode())
            self._log(name, current, new, message)

    def set_symbolic(self, name: str, target: str, message: str = "") -> None:
        validate_ref_name(target)
        with self._lock():
            old = self.read(name) if self._raw(name) is not None else None
            atomic_write(self.dir / name, f"{_SYMREF}{target}\n".encode())
            new = self.read(name)
            if old != new or message:
                self._log(name, old, new, message)

    def delete(self, name: str, *, old=ANY) -> None:
        with self._lock():
            current = self.read(name) if self.read_symbolic(name) is None else None
            _check(name, current, old)
            (self.dir / name).unlink(missing_ok=True)
            (self.dir / "logs" / name).unlink(missing_ok=True)
            self._prune_dirs(name)

    def _check_path_free(self, name: str) -> None:
        """Git's directory/file rule: refs/heads/a and refs/heads/a/b cannot both be."""
        parts = name.split("/")
        for i in range(1, len(parts)):
            prefix = "/".join(parts[:i])
            if (self.dir / prefix).is_file() and i > 1:
                raise RefConflict(f"cannot create ref {name}: ref {prefix} exists",
                                  hint=f"delete or rename {prefix} first")
        if (self.dir / name).is_dir() and any((self.dir / name).rglob("*")):
            raise RefConflict(f"cannot create ref {name}: refs exist below it",
                              hint=f"delete or rename the refs under {name}/ first")

    def _prune_dirs(self, name: str) -> None:
        """Remove directories a deleted ref leaves empty, as git does (keeping
        refs/heads, refs/tags and the like)."""
        for base in (self.dir, self.dir / "logs"):
            parts = name.split("/")[:-1]
            while len(parts) > 2:
                try:
                    (base / "/".join(parts)).rmdir()
                except OSError:
                    break
                parts.pop()

    # -- reflog ----------------------------------------------------------------

    def _log(self, name: str, old, new, message: str) -> None:
        rec = json.dumps({"old": old.hex() if old else None,
                          "new": new.hex() if new else None,
                          "who": self.identity() if callable(self.identity)
                          else self.identity, "when": time.time(),
                          "msg": message}).encode()
        sealed = crypto.seal(self._key, rec, b"reflog:" + name.encode())
        path = self.dir / "logs" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
        try:
            os.write(fd, struct.pack(">I", len(sealed)) + sealed)
        finally:
            os.close(fd)

    def reflog(self, name: str) -> list[ReflogEntry]:
        """Records oldest first; a torn last record (crash mid-append) is ignored."""
        validate_ref_name(name)
        try:
            raw = (self.dir / "logs" / name).read_bytes()
        except FileNotFoundError:
            return []
        out, pos, aad = [], 0, b"reflog:" + name.encode()
        while pos + 4 <= len(raw):
            (n,) = struct.unpack_from(">I", raw, pos)
            if pos + 4 + n > len(raw):
                break
            try:
                rec = json.loads(crypto.unseal(self._key, raw[pos + 4:pos + 4 + n], aad))
            except crypto.DecryptError:
                raise CorruptObject(f"the reflog of {name} is damaged",
                                    hint=f"delete .ldv/logs/{name} to start it afresh") from None
            out.append(ReflogEntry(_unhex(rec["old"]), _unhex(rec["new"]), rec["who"],
                                   rec["when"], rec["msg"]))
            pos += 4 + n
        return out


def _unhex(text: str | None) -> bytes | None:
    return bytes.fromhex(text) if text else None


def _check(name: str, current: bytes | None, old) -> None:
    if old is ANY or old == current:
        return
    have = current.hex()[:12] if current else "nothing"
    want = old.hex()[:12] if old else "nothing"
    raise RefConflict(f"ref {name} holds {have}, expected {want}",
                      hint="someone else updated it; re-read and retry")
