"""The storage backend interface: named immutable files (packs, keyring copies).

A backend stores opaque bytes under slash-separated names.  Implementations:
memory.py (tests), local.py (a directory: temp file + fsync + rename), s3.py
(boto3, any S3-compatible endpoint).  One contract suite
(tests/plumbing/backends/test_contract.py) runs against every implementation.
Backends translate their SDK's errors into plumbing.errors at this boundary.
"""
from __future__ import annotations

from typing import BinaryIO, Iterator, Protocol, runtime_checkable


@runtime_checkable
class Backend(Protocol):
    def put(self, name: str, data: bytes | BinaryIO) -> None:
        """Store ``data`` under ``name`` atomically: readers see all of it or nothing.

        ``data`` is bytes or a binary file object read to its end.  Overwriting an
        existing name with different bytes is allowed only for non-pack files.
        """

    def get(self, name: str, offset: int = 0, length: int | None = None) -> bytes:
        """Return ``length`` bytes from ``offset`` (to the end when None).

        Raise plumbing.errors.MissingPack (a subclass of IntegrityError) when the
        name does not exist.
        """

    def open(self, name: str) -> BinaryIO:
        """A readable, seekable binary stream over the whole object."""

    def size(self, name: str) -> int:
        """Size in bytes; MissingPack when absent."""

    def exists(self, name: str) -> bool: ...

    def list(self, prefix: str = "") -> Iterator[str]:
        """Names starting with ``prefix``, in sorted order."""

    def delete(self, name: str) -> None:
        """Remove ``name``; no error when it is already gone."""
