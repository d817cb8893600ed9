"""Object ids: 32-byte BLAKE3 keyed hashes, shown as 64 hex characters.

An id is BLAKE3(key=id_key, type_byte || payload).  Keyed, so an id tells a remote
nothing about content; the type byte keeps a chunk and a tree with equal bytes apart.
"""
from __future__ import annotations

import re

import blake3

from .errors import BadInput

ID_LEN = 32
HEX_LEN = 64
ZERO = bytes(ID_LEN)
_HEX_RE = re.compile(r"[0-9a-f]{64}\Z")


class IdHasher:
    """Computes object ids under one repository's id key."""

    __slots__ = ("_key",)

    def __init__(self, id_key: bytes):
        if len(id_key) != 32:
            raise ValueError("id key must be 32 bytes")
        self._key = bytes(id_key)

    def oid(self, type_code: int, data) -> bytes:
        """Return the id of an object of ``type_code`` whose payload is ``data``."""
        h = blake3.blake3(bytes((type_code,)), key=self._key, max_threads=1)
        h.update(data)
        return h.digest()

    def oid_mt(self, type_code: int, data) -> bytes:
        """Same as :meth:`oid`, hashing large payloads on several threads."""
        h = blake3.blake3(bytes((type_code,)), key=self._key,
                          max_threads=blake3.blake3.AUTO)
        h.update(data)
        return h.digest()


def to_hex(oid: bytes) -> str:
    return oid.hex()


def from_hex(text: str) -> bytes:
    """Parse a full 64-character hex id, raising BadInput otherwise."""
    if not _HEX_RE.match(text):
        raise BadInput(f"not an object id: {text!r}",
                       hint="ids are 64 lowercase hex characters")
    return bytes.fromhex(text)


def is_hex_id(text: str) -> bool:
    return bool(_HEX_RE.match(text))


def short(oid: bytes, n: int = 12) -> str:
    return oid.hex()[:n]
