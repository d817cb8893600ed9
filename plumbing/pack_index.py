"""The repository's pack index: object id -> (pack, offset, length, type, encoding,
delta base, chain depth).

One binary file, plaintext ids and offsets only (DESIGN allows both), sorted by id
so that it loads without parsing and answers by binary search:

    "LDVX" | version u8 | 3 pad | npacks u32 | nrecords u32 | ndeltas u32
    packs    npacks   x (name 32 | kind u8 | 3 pad)
    records  nrecords x (id 32 | pack u32 | offset u32 | length u32 |
                         type u8 | encoding u8 | depth u8 | pad u8)   sorted by id
    deltas   ndeltas  x (id 32 | base id 32)                          sorted by id
    checksum BLAKE3 of everything above (32)

It is a cache: ``rebuild`` regenerates it from the packs' headers.
"""
from __future__ import annotations

import os
import struct
from pathlib import Path
from typing import Iterable, Iterator

import blake3

from .backends.local import atomic_write
from .errors import CorruptIndex
from .pack import DELTA_ENC, PackEntry

MAGIC = b"LDVX"
VERSION = 1
_HEAD = struct.Struct(">4sB3xIII")
_PACK = struct.Struct(">32sB3x")
_REC = struct.Struct(">32sIIIBBBx")
_DREC = 64
_HINT = "run `ldv fsck --rebuild-index` to regenerate it from the packs"


class PackIndex:
    """A loaded index file plus entries added since it was loaded."""

    def __init__(self, path: Path):
        self.path = Path(path)
        self._new: dict[bytes, tuple[str, PackEntry]] = {}
        self._new_packs: dict[str, int] = {}
        self._load()

    # -- loading ---------------------------------------------------------------

    def _load(self) -> None:
        try:
            st = os.stat(self.path)
            buf = self.path.read_bytes()
        except FileNotFoundError:
            st, buf = None, b""
        self._stamp = (st.st_ino, st.st_mtime_ns, st.st_size) if st else None
        self._parse(buf)

    def _parse(self, buf: bytes) -> None:
        self._buf = buf
        if not buf:
            self.packs, self._n, self._nd, self._r0, self._d0 = [], 0, 0, 0, 0
            return
        if len(buf) < _HEAD.size + 32 or buf[:4] != MAGIC:
            raise CorruptIndex(f"{self.path} is not a pack index", hint=_HINT)
        if blake3.blake3(buf[:-32]).digest() != buf[-32:]:
            raise CorruptIndex(f"{self.path} is damaged (checksum mismatch)", hint=_HINT)
        _m, version, npacks, self._n, self._nd = _HEAD.unpack_from(buf)
        if version != VERSION:
            raise CorruptIndex(f"{self.path} has unknown version {version}", hint=_HINT)
        self.packs = [(n.hex(), k) for n, k in
                      (_PACK.unpack_from(buf, _HEAD.size + i * _PACK.size)
                       for i in range(npacks))]
        self._r0 = _HEAD.size + npacks * _PACK.size
        self._d0 = self._r0 + self._n * _REC.size
        if self._d0 + self._nd * _DREC + 32 != len(buf):
            raise CorruptIndex(f"{self.path} has an inconsistent size", hint=_HINT)

    def reload(self) -> None:
        """Re-read the file (entries added here and not yet saved are kept)."""
        self._load()

    def changed_on_disk(self) -> bool:
        try:
            st = os.stat(self.path)
        except FileNotFoundError:
            return self._stamp is not None
        return self._stamp != (st.st_ino, st.st_mtime_ns, st.st_size)

    # -- lookups ---------------------------------------------------------------

    def _find(self, oid: bytes, start: int, count: int, stride: int) -> int:
        buf, lo, hi = self._buf, 0, count
        while lo < hi:
            mid = (lo + hi) // 2
            off = start + mid * stride
            if buf[off:off + 32] < oid:
                lo = mid + 1
            else:
                hi = mid
        if lo < count and buf[start + lo * stride:start + lo * stride + 32] == oid:
            return lo
        return -1

    def lookup(self, oid: bytes) -> tuple[str, PackEntry] | None:
        hit = self._new.get(oid)
        if hit is not None:
            return hit
        i = self._find(oid, self._r0, self._n, _REC.size)
        if i < 0:
            return None
        _id, pack_no, offset, length, type_code, enc, depth = \
            _REC.unpack_from(self._buf, self._r0 + i * _REC.size)
        base = None
        if enc == DELTA_ENC:
            j = self._find(oid, self._d0, self._nd, _DREC)
            if j < 0:
                raise CorruptIndex(f"{self.path} lacks the delta base of {oid.hex()}",
                                   hint=_HINT)
            off = self._d0 + j * _DREC + 32
            base = self._buf[off:off + 32]
        if pack_no >= len(self.packs):
            raise CorruptIndex(f"{self.path} names a pack it does not list", hint=_HINT)
        return self.packs[pack_no][0], PackEntry(oid, type_code, enc, offset, length,
                                                 base, depth)

    def __contains__(self, oid: bytes) -> bool:
        return oid in self._new or self._find(oid, self._r0, self._n, _REC.size) >= 0

    def ids(self) -> Iterator[bytes]:
        buf, r0, step = self._buf, self._r0, _REC.size
        for i in range(self._n):
            yield buf[r0 + i * step:r0 + i * step + 32]
        yield from list(self._new)

    def __len__(self) -> int:
        return self._n + len(self._new)

    def pack_names(self) -> list[tuple[str, int]]:
        """(name, kind) of every indexed pack, saved or not."""
        known = {p for p, _ in self.packs}
        return self.packs + [(n, k) for n, k in self._new_packs.items() if n not in known]

    # -- adding and saving -----------------------------------------------------

    def add(self, pack: str, kind: int, entries: Iterable[PackEntry]) -> None:
        self._new_packs[pack] = kind
        for e in entries:
            self._new.setdefault(e.oid, (pack, e))

    @property
    def dirty(self) -> bool:
        return bool(self._new_packs)

    def save(self) -> None:
        """Merge new entries into the file on disk (reloading it if another process
        wrote it meanwhile).  The caller holds the index lock."""
        if not self._new_packs:
            return
        if self.changed_on_disk():
            self._load()
        packs = list(self.packs)
        known = {n for n, _ in packs}
        packs += [(n, k) for n, k in self._new_packs.items() if n not in known]
        pack_no = {n: i for i, (n, _k) in enumerate(packs)}
        new = sorted((oid, pack_no[p], e) for oid, (p, e) in self._new.items()
                     if self._find(oid, self._r0, self._n, _REC.size) < 0)
        buf = self._merged(packs, new)
        atomic_write(self.path, buf)
        self._new.clear()
        self._new_packs.clear()
        self._load()

    def _merged(self, packs, new) -> bytes:
        old, r0, step = self._buf, self._r0, _REC.size
        recs, prev = [], 0
        for oid, no, e in new:
            pos = _insertion_point(old, r0, self._n, step, oid)
            recs.append(old[r0 + prev * step:r0 + pos * step])
            recs.append(_REC.pack(oid, no, e.offset, e.length, e.type, e.enc, e.depth))
            prev = pos
        recs.append(old[r0 + prev * step:r0 + self._n * step])
        deltas = [old[self._d0 + i * _DREC:self._d0 + (i + 1) * _DREC]
                  for i in range(self._nd)]
        deltas += [oid + e.base for oid, _no, e in new if e.enc == DELTA_ENC]
        deltas.sort()
        nrec = self._n + len(new)
        return _finish(packs, nrec, recs, deltas)

    @staticmethod
    def write_fresh(path: Path, packs: list[tuple[str, int, list[PackEntry]]]) -> None:
        """Write an index of exactly these packs (rebuild, repack)."""
        names = [(n, k) for n, k, _ in packs]
        rows = sorted((e.oid, i, e) for i, (_n, _k, es) in enumerate(packs) for e in es)
        seen, recs, deltas = set(), [], []
        for oid, no, e in rows:
            if oid in seen:
                continue      # the same object in two packs: keep one
            seen.add(oid)
            recs.append(_REC.pack(oid, no, e.offset, e.length, e.type, e.enc, e.depth))
            if e.enc == DELTA_ENC:
                deltas.append(oid + e.base)
        atomic_write(Path(path), _finish(names, len(recs), recs, deltas))


def _insertion_point(buf: bytes, start: int, count: int, stride: int, oid: bytes) -> int:
    lo, hi = 0, count
    while lo < hi:
        mid = (lo + hi) // 2
        if buf[start + mid * stride:start + mid * stride + 32] < oid:
            lo = mid + 1
        else:
            hi = mid
    return lo


def _finish(packs, nrec: int, recs: list[bytes], deltas: list[bytes]) -> bytes:
    parts = [_HEAD.pack(MAGIC, VERSION, len(packs), nrec, len(deltas))]
    parts += [_PACK.pack(bytes.fromhex(n), k) for n, k in packs]
    parts += recs
    parts += deltas
    body = b"".join(parts)
    return body + blake3.blake3(body).digest()
