"""Resumable pack uploads: parts, then one finish that verifies and registers.

A client sends a pack as numbered parts (any size up to the part limit); each part
is stored under the repository's upload area as soon as it arrives, so a killed
push resumes by asking which parts are there.  ``finish`` streams the parts in
order through BLAKE3 into the pack's final name; only if the hash equals the
pack's name and the size matches are its entries registered.  Until then nothing
the pack holds is visible to negotiation, so a half-pushed pack is never used.
"""
from __future__ import annotations

import io
from typing import Sequence

import blake3

from ldv.plumbing.errors import CorruptPack, MissingPack

from .errors import ValidationFailed
from .services import Services, pack_name, part_name
from .store import check_entries
from .validate import check_hex_id

MAX_PARTS = 10_000


def received_parts(svc: Services, repo_id: int, pack: str) -> dict[int, int]:
    """index -> size of every part of ``pack`` already stored."""
    check_hex_id(pack)
    prefix = part_name(repo_id, pack, 0).rsplit("/", 1)[0] + "/"
    out = {}
    for name in svc.backend.list(prefix):
        tail = name[len(prefix):]
        if tail.isdigit():
            out[int(tail)] = svc.backend.size(name)
    return out


def store_part(svc: Services, repo_id: int, pack: str, index: int, data: bytes,
               part_hash: str | None) -> None:
    check_hex_id(pack)
    if not 0 <= index < MAX_PARTS:
        raise ValidationFailed(f"part index {index} out of range 0..{MAX_PARTS - 1}")
    if part_hash and blake3.blake3(data).hexdigest() != part_hash:
        raise CorruptPack(f"part {index} of pack {pack[:12]} arrived damaged",
                          hint="send the part again")
    svc.backend.put(part_name(repo_id, pack, index), data)


class _Concat(io.RawIOBase):
    """The parts of an upload read back in order, hashed on the way through."""

    def __init__(self, svc: Services, names: Sequence[str]):
        self._svc, self._names, self._buf = svc, list(names), memoryview(b"")
        self.hasher, self.size = blake3.blake3(max_threads=blake3.blake3.AUTO), 0

    def readable(self) -> bool:
        return True

    def readinto(self, out) -> int:
        while not self._buf and self._names:
            data = self._svc.backend.get(self._names.pop(0))
            self.hasher.update(data)
            self.size += len(data)
            self._buf = memoryview(data)
        n = min(len(out), len(self._buf))
        out[:n] = self._buf[:n]
        self._buf = self._buf[n:]
        return n


def finish(svc: Services, repo: str, repo_id: int, pack: str, size: int, kind: str,
           parts: int, entries: list) -> bool:
    """Assemble, verify and register ``pack``; False if it was already registered."""
    entries = check_entries(pack, size, kind, entries)
    if svc.store.get_pack(repo, pack):
        _drop_parts(svc, repo_id, pack, parts)
        return False
    have = received_parts(svc, repo_id, pack)
    lost = [i for i in range(parts) if i not in have]
    if lost or parts < 1:
        raise MissingPack(f"pack {pack[:12]} lacks part {lost[0] if lost else 0}",
                          hint="upload the missing parts, then finish again")
    reader = _Concat(svc, [part_name(repo_id, pack, i) for i in range(parts)])
    final = pack_name(repo_id, pack)
    svc.backend.put(final, io.BufferedReader(reader, 8 << 20))
    if reader.hasher.hexdigest() != pack or reader.size != size:
        svc.backend.delete(final)
        _drop_parts(svc, repo_id, pack, parts)
        raise CorruptPack(f"pack {pack[:12]} does not match its name or size "
                          f"({reader.size} bytes)", hint="upload it again")
    svc.store.register_pack(repo, pack, size, kind, entries)
    _drop_parts(svc, repo_id, pack, parts)
    return True


def _drop_parts(svc: Services, repo_id: int, pack: str, parts: int) -> None:
    for i in range(max(parts, 0)):
        svc.backend.delete(part_name(repo_id, pack, i))
