"""The object database interface every layer speaks, and an in-memory version.

``ObjectDatabase`` is what objects.py, the file writer/reader, porcelain and the sync
code use.  ``object_store.PackedObjectDatabase`` is the real one (packs, encryption,
deltas); ``MemoryObjectDatabase`` keeps plaintext in a dict and exists for tests and
for building objects before they are stored.
"""
from __future__ import annotations

from typing import Iterable, Iterator, Protocol, runtime_checkable

from .errors import CorruptObject, ObjectNotFound
from .ids import IdHasher
from .objtype import ObjType

__all__ = ["MemoryObjectDatabase", "ObjType", "ObjectDatabase"]


@runtime_checkable
class ObjectDatabase(Protocol):
    """Content-addressed storage of typed objects."""

    hasher: IdHasher

    def has(self, oid: bytes) -> bool:
        """True if ``oid`` is stored (or buffered for storing)."""

    def get(self, oid: bytes) -> tuple[ObjType, bytes]:
        """Return (type, plaintext payload); raise ObjectNotFound or an IntegrityError."""

    def put(self, type_code: ObjType, data, *, delta_base: bytes | None = None,
            oid: bytes | None = None) -> bytes:
        """Store ``data`` (bytes-like) as an object and return its id.

        Idempotent: storing an existing object is a cheap no-op.  ``delta_base``
        names a stored object of the same type whose content resembles ``data``;
        the store may encode ``data`` as a delta against it (a storage encoding
        only: the id is still the keyed hash of the plaintext).  ``oid`` is the
        id when the caller computed it already (saves hashing twice); it is
        trusted on write and verified on every read like any other id.
        """

    def flush(self) -> None:
        """Make every object put so far durable (finish packs, write the index)."""

    def iter_ids(self) -> Iterator[bytes]:
        """Every stored id, in no particular order."""


class MemoryObjectDatabase:
    """A plaintext, dict-backed ObjectDatabase for tests and scratch work."""

    def __init__(self, id_key: bytes = bytes(32)):
        self.hasher = IdHasher(id_key)
        self._objects: dict[bytes, tuple[ObjType, bytes]] = {}
        self.delta_hints: dict[bytes, bytes] = {}

    def has(self, oid: bytes) -> bool:
        return oid in self._objects

    def get(self, oid: bytes) -> tuple[ObjType, bytes]:
        try:
            type_code, data = self._objects[oid]
        except KeyError:
            raise ObjectNotFound(f"object {oid.hex()} not found") from None
        if self.hasher.oid(type_code, data) != oid:
            raise CorruptObject(f"object {oid.hex()} does not match its id")
        return type_code, data

    def put(self, type_code: ObjType, data, *, delta_base: bytes | None = None,
            oid: bytes | None = None) -> bytes:
        data = bytes(data)
        if oid is None:
            oid = self.hasher.oid(type_code, data)
        if oid not in self._objects:
            self._objects[oid] = (ObjType(type_code), data)
            if delta_base is not None:
                self.delta_hints[oid] = delta_base
        return oid

    def put_many(self, items: Iterable[tuple[ObjType, bytes]]) -> list[bytes]:
        return [self.put(t, d) for t, d in items]

    def flush(self) -> None:
        pass

    def iter_ids(self) -> Iterator[bytes]:
        return iter(list(self._objects))

    def __len__(self) -> int:
        return len(self._objects)
