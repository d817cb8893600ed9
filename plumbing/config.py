"""Repository configuration: dotted keys ("user.name", "remote.origin.url") to strings.

Stored sealed in .ldv/config because values name paths, URLs and people.
"""
from __future__ import annotations

import json
from pathlib import Path

from . import crypto
from .backends.local import atomic_write
from .errors import CorruptObject
from .lock import Lock

_AAD = b"ldv config v1"


class Config:
    def __init__(self, path: Path, seal_key: bytes):
        self.path = Path(path)
        self._key = seal_key
        self._lock_path = self.path.parent / "locks" / "config"

    def _load(self) -> dict[str, str]:
        try:
            raw = self.path.read_bytes()
        except FileNotFoundError:
            return {}
        try:
            return json.loads(crypto.unseal(self._key, raw, _AAD))
        except crypto.DecryptError:
            raise CorruptObject("the repository config (.ldv/config) is damaged",
                                hint="delete it and set the values again") from None

    def _store(self, values: dict[str, str]) -> None:
        data = json.dumps(values, sort_keys=True).encode()
        atomic_write(self.path, crypto.seal(self._key, data, _AAD))

    def get(self, key: str, default: str | None = None) -> str | None:
        return self._load().get(key, default)

    def set(self, key: str, value: str) -> None:
        with Lock(self._lock_path, timeout=10, what="the config"):
            values = self._load()
            values[key] = str(value)
            self._store(values)

    def unset(self, key: str) -> bool:
        """Remove ``key``; True if it was set."""
        with Lock(self._lock_path, timeout=10, what="the config"):
            values = self._load()
            found = values.pop(key, None) is not None
            if found:
                self._store(values)
            return found

    def items(self, prefix: str = "") -> list[tuple[str, str]]:
        return sorted((k, v) for k, v in self._load().items() if k.startswith(prefix))
