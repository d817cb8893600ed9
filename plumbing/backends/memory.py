"""A Backend in a dict, for tests and scratch repositories."""
from __future__ import annotations

import io
from typing import BinaryIO, Iterator

from ..errors import MissingPack
from .local import read_all


class MemoryBackend:
    def __init__(self):
        self._files: dict[str, bytes] = {}

    def put(self, name: str, data) -> None:
        self._files[name] = read_all(data)

    def get(self, name: str, offset: int = 0, length: int | None = None) -> bytes:
        data = self._get(name)
        return data[offset:] if length is None else data[offset:offset + length]

    def open(self, name: str) -> BinaryIO:
        return io.BytesIO(self._get(name))

    def size(self, name: str) -> int:
        return len(self._get(name))

    def exists(self, name: str) -> bool:
        return name in self._files

    def list(self, prefix: str = "") -> Iterator[str]:
        return iter(sorted(n for n in self._files if n.startswith(prefix)))

    def delete(self, name: str) -> None:
        self._files.pop(name, None)

    def _get(self, name: str) -> bytes:
        try:
            return self._files[name]
        except KeyError:
            raise MissingPack(f"{name} is missing from the object store",
                              hint="run `ldv fsck`; fetch it again from a remote") from None
