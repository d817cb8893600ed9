"""The repository's pack index: object id -> (pack, offset, length, type, encoding,
delta base, chain depth).

One binary file, plaintext ids and offsets only (DESIGN allows both), sorted by id
so that it loads without parsing and answers by binary search:

    "LDVX" | version u8 (2) | 3 pad | npacks u32 | nrecords u32 | ndeltas u32 | nout u32
    packs    npacks   x (name 32 | kind u8 | 3 pad)
    records  nrecords x (id 32 | pack u32 | offset u32 | length u32 |
                         type u8 | encoding u8 | depth u8 | pad u8)   sorted by id
    deltas   ndeltas  x (record u32 | base u32)            sorted by record number
    outside  nout     x (base id 32)                       sorted
    checksum BLAKE3 of everything above (32)

A delta's base is named by its record number (8 bytes a delta instead of the 64
of version 1, which repeated both ids); a base not in the index (a pack not
fetched yet) is ``nrecords + k``, the k-th id of ``outside``.  Version 1 files
(deltas as id 32 | base id 32) are read and rewritten as version 2 on the next
save.  It is a cache: ``rebuild`` regenerates it from the packs' headers.
"""
from __future__ import annotations

import array
import bisect
import os
import struct
import sys
from pathlib import Path
from typing import Iterable, Iterator

import blake3

from .backends.local import atomic_write
from .errors import CorruptIndex
from .pack import DELTA_ENC, PackEntry

MAGIC = b"LDVX"
VERSION = 2
_HEAD = struct.Struct(">4sB3xIIII")
_HEAD_V1 = struct.Struct(">4sB3xIII")
_PACK = struct.Struct(">32sB3x")
_REC = struct.Struct(">32sIIIBBBx")
_DREC = struct.Struct(">II")
_DREC_V1 = 64
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
        self._fast = None
        self.upgraded = False        # True: a version 1 file, upgraded in memory
        self._buf = buf
        if not buf:
            self.packs, self._n, self._nd, self._no = [], 0, 0, 0
            self._r0 = self._d0 = self._o0 = 0
            return
        if len(buf) < _HEAD_V1.size + 32 or buf[:4] != MAGIC:
            raise CorruptIndex(f"{self.path} is not a pack index", hint=_HINT)
        if blake3.blake3(buf[:-32]).digest() != buf[-32:]:
            raise CorruptIndex(f"{self.path} is damaged (checksum mismatch)", hint=_HINT)
        if buf[4] == 1:
            self._parse(_upgrade_v1(self.path, buf))
            self.upgraded = True
            return
        if buf[4] != VERSION or len(buf) < _HEAD.size + 32:
            raise CorruptIndex(f"{self.path} has unknown version {buf[4]}", hint=_HINT)
        _m, _v, npacks, self._n, self._nd, self._no = _HEAD.unpack_from(buf)
        self.packs = [(n.hex(), k) for n, k in
                      (_PACK.unpack_from(buf, _HEAD.size + i * _PACK.size)
                       for i in range(npacks))]
        self._r0 = _HEAD.size + npacks * _PACK.size
        self._d0 = self._r0 + self._n * _REC.size
        self._o0 = self._d0 + self._nd * _DREC.size
        if self._o0 + self._no * 32 + 32 != len(buf):
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

    def persist_upgrade(self) -> bool:
        """Write a version 1 file, upgraded in memory when it was loaded, back as
        version 2, so that later loads do not rebuild it again; True if written.
        The caller holds the index lock."""
        if self.changed_on_disk():
            self._load()
        if not self.upgraded:
            return False
        atomic_write(self.path, self._buf)
        self._load()
        return True

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

    def _tables(self) -> tuple[array.array, array.array]:
        """(first 8 bytes of each record's id, delta rows ``record << 32 | base``)
        as native-order arrays, for bisection in C; made on first use after a
        load (two copies of the file's tables, at memcpy speed)."""
        fast = self._fast
        if fast is None:
            recs, rows = array.array("Q"), array.array("Q")
            recs.frombytes(self._buf[self._r0:self._d0])
            keys = recs[0::_REC.size // 8]
            rows.frombytes(self._buf[self._d0:self._o0])
            if sys.byteorder == "little":
                keys.byteswap()
                rows.byteswap()
            fast = self._fast = (keys, rows)
        return fast

    def _record(self, oid: bytes) -> int:
        """The record number of ``oid`` in the file, -1 if absent: a C bisection
        on the ids' first 8 bytes, then a comparison of the whole id."""
        keys = self._tables()[0]
        prefix = int.from_bytes(oid[:8], "big")
        i = bisect.bisect_left(keys, prefix)
        buf, r0, n = self._buf, self._r0, self._n
        while i < n and keys[i] == prefix:
            off = r0 + i * _REC.size
            if buf[off:off + 32] == oid:
                return i
            i += 1
        return -1

    def lookup(self, oid: bytes) -> tuple[str, PackEntry] | None:
        hit = self._new.get(oid)
        if hit is not None:
            return hit
        i = self._record(oid)
        if i < 0:
            return None
        _id, pack_no, offset, length, type_code, enc, depth = \
            _REC.unpack_from(self._buf, self._r0 + i * _REC.size)
        base = None
        if enc == DELTA_ENC:
            base = self._base_of(i)
        if pack_no >= len(self.packs):
            raise CorruptIndex(f"{self.path} names a pack it does not list", hint=_HINT)
        return self.packs[pack_no][0], PackEntry(oid, type_code, enc, offset, length,
                                                 base, depth)

    def chain(self, oid: bytes, limit: int = 1000) -> tuple[list[tuple], bytes | None] | None:
        """The delta chain of ``oid`` as far as this index holds it, top first:
        ``(links, rest)`` with links ``(pack, id, type, encoding, offset, length)``
        and ``rest`` None when the last link is a full object, else the id of its
        base, which this index does not hold (a pack not fetched yet, or one
        still being written); None when ``oid`` itself is not indexed.

        One search, for the top id; below it each link's base is a record number
        (one C bisection of the delta rows), so a chain of depth 5 costs one
        search, not six.  CorruptIndex for a delta without a base row, a base
        number out of range, or a chain longer than ``limit`` (a cycle)."""
        new, links = self._new, []
        keys, rows = self._tables()
        buf, r0, n, nd, packs = self._buf, self._r0, self._n, self._nd, self.packs
        unpack, step, bl = _REC.unpack_from, _REC.size, bisect.bisect_left
        i = -1
        while len(links) <= limit:
            if i < 0:
                hit = new.get(oid) if new else None
                if hit is not None:
                    pack, e = hit
                    links.append((pack, oid, e.type, e.enc, e.offset, e.length))
                    if e.enc != DELTA_ENC:
                        return links, None
                    oid = e.base
                    continue
                i = self._record(oid)
                if i < 0:
                    return (links, oid) if links else None
            rid, pack_no, offset, length, type_code, enc, _depth = unpack(buf, r0 + i * step)
            if pack_no >= len(packs):
                raise CorruptIndex(f"{self.path} names a pack it does not list", hint=_HINT)
            links.append((packs[pack_no][0], rid, type_code, enc, offset, length))
            if enc != DELTA_ENC:
                return links, None
            k = bl(rows, i << 32)
            if k >= nd or rows[k] >> 32 != i:
                raise CorruptIndex(f"{self.path} lacks the delta base of record {i}",
                                   hint=_HINT)
            b = rows[k] & 0xFFFFFFFF
            if b < n:
                i = b
            elif b - n < self._no:
                off = self._o0 + (b - n) * 32
                oid, i = buf[off:off + 32], -1
            else:
                raise CorruptIndex(f"{self.path} lacks the delta base of record {i}",
                                   hint=_HINT)
        raise CorruptIndex(f"{self.path} has a delta chain that does not end (from "
                           f"{links[0][1].hex()})", hint=_HINT)

    def _base_of(self, i: int) -> bytes:
        """The base id of record ``i`` (a delta), through the delta table."""
        rows = self._tables()[1]
        k = bisect.bisect_left(rows, i << 32)
        if k < self._nd and rows[k] >> 32 == i:
            b = rows[k] & 0xFFFFFFFF
            if b < self._n:
                return self._id_at(b)
            if b - self._n < self._no:
                off = self._o0 + (b - self._n) * 32
                return self._buf[off:off + 32]
        raise CorruptIndex(f"{self.path} lacks the delta base of record {i}", hint=_HINT)

    def _id_at(self, i: int) -> bytes:
        off = self._r0 + i * _REC.size
        return self._buf[off:off + 32]

    def __contains__(self, oid: bytes) -> bool:
        return oid in self._new or self._record(oid) >= 0

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
        """This file's records with ``new`` ones inserted in id order; delta rows
        renumbered (an old record moves down by the new ones inserted before it).
        Rows are handled as ints ``record << 32 | base``: one list, one sort."""
        old, r0, step, n = self._buf, self._r0, _REC.size, self._n
        recs, prev, at = [], 0, []
        for oid, no, e in new:
            pos = _insertion_point(old, r0, n, step, oid)
            recs.append(old[r0 + prev * step:r0 + pos * step])
            recs.append(_REC.pack(oid, no, e.offset, e.length, e.type, e.enc, e.depth))
            at.append(pos)
            prev = pos
        recs.append(old[r0 + prev * step:r0 + n * step])
        new_no = {oid: pos + k for k, (pos, (oid, _no, _e)) in enumerate(zip(at, new))}

        def number(base: bytes) -> int | None:
            """A base's record number in the merged file, None if not indexed."""
            j = new_no.get(base)
            if j is None:
                k = self._find(base, r0, n, step)
                j = None if k < 0 else k + bisect.bisect_right(at, k)
            return j
        was_out = [old[self._o0 + k * 32:self._o0 + (k + 1) * 32] for k in range(self._no)]
        fresh = [(new_no[oid], number(e.base), e.base) for oid, _no, e in new
                 if e.enc == DELTA_ENC]
        outside = sorted({b for b in was_out if b not in new_no}
                         | {base for _i, j, base in fresh if j is None})
        nrec = n + len(new)
        slot = {b: nrec + k for k, b in enumerate(outside)}
        slot.update((b, new_no[b]) for b in was_out if b in new_no)
        out_no = [slot[b] for b in was_out]
        flat = array.array("I")
        flat.frombytes(old[self._d0:self._o0])
        if sys.byteorder == "little":
            flat.byteswap()
        br = bisect.bisect_right
        rows = [(i + br(at, i)) << 32 | (b + br(at, b) if b < n else out_no[b - n])
                for i, b in zip(flat[0::2], flat[1::2])]
        rows += [i << 32 | (slot[base] if j is None else j) for i, j, base in fresh]
        return _finish(packs, nrec, recs, rows, outside)

    @staticmethod
    def write_fresh(path: Path, packs: list[tuple[str, int, list[PackEntry]]]) -> None:
        """Write an index of exactly these packs (rebuild, repack)."""
        names = [(n, k) for n, k, _ in packs]
        rows = sorted((e.oid, i, e) for i, (_n, _k, es) in enumerate(packs) for e in es)
        seen, recs, kept = set(), [], []
        for oid, no, e in rows:
            if oid in seen:
                continue      # the same object in two packs: keep one
            seen.add(oid)
            recs.append(_REC.pack(oid, no, e.offset, e.length, e.type, e.enc, e.depth))
            kept.append(e)
        number = {e.oid: i for i, e in enumerate(kept)}
        deltas = [(i, number.get(e.base), e.base) for i, e in enumerate(kept)
                  if e.enc == DELTA_ENC]
        atomic_write(Path(path), _finish(names, len(recs), recs, *_rows(len(recs), deltas)))


def _upgrade_v1(path: Path, buf: bytes) -> bytes:
    """A version 1 file's contents as version 2 (same records; deltas renamed)."""
    _m, _v, npacks, n, nd = _HEAD_V1.unpack_from(buf)
    r0 = _HEAD_V1.size + npacks * _PACK.size
    d0 = r0 + n * _REC.size
    if d0 + nd * _DREC_V1 + 32 != len(buf):
        raise CorruptIndex(f"{path} has an inconsistent size", hint=_HINT)
    packs = [(buf[_HEAD_V1.size + i * _PACK.size:][:32].hex(),
              buf[_HEAD_V1.size + i * _PACK.size + 32]) for i in range(npacks)]
    number = {buf[r0 + i * _REC.size:r0 + i * _REC.size + 32]: i for i in range(n)}
    deltas = []
    for k in range(nd):
        oid, base = buf[d0 + k * 64:d0 + k * 64 + 32], buf[d0 + k * 64 + 32:d0 + k * 64 + 64]
        if oid not in number:
            raise CorruptIndex(f"{path} lists a delta it has no record of", hint=_HINT)
        deltas.append((number[oid], number.get(base), base))
    return _finish(packs, n, [buf[r0:d0]], *_rows(n, deltas))


def _insertion_point(buf: bytes, start: int, count: int, stride: int, oid: bytes) -> int:
    lo, hi = 0, count
    while lo < hi:
        mid = (lo + hi) // 2
        if buf[start + mid * stride:start + mid * stride + 32] < oid:
            lo = mid + 1
        else:
            hi = mid
    return lo


def _rows(nrec: int, deltas: list[tuple]) -> tuple[list[int], list[bytes]]:
    """Delta rows as ints from (record, base record or None, base id), and the
    outside table the bases without a record go to."""
    outside = sorted({base for _i, j, base in deltas if j is None})
    slot = {base: nrec + k for k, base in enumerate(outside)}
    return [i << 32 | (slot[base] if j is None else j) for i, j, base in deltas], outside


def _finish(packs, nrec: int, recs: list[bytes], rows: list[int], outside: list[bytes]) -> bytes:
    """The file; ``rows`` are delta rows as ``record << 32 | base`` ints."""
    rows.sort()
    table = array.array("Q", rows)
    if sys.byteorder == "little":
        table.byteswap()
    parts = [_HEAD.pack(MAGIC, VERSION, len(packs), nrec, len(rows), len(outside))]
    parts += [_PACK.pack(bytes.fromhex(n), k) for n, k in packs]
    parts += recs
    parts.append(table.tobytes())
    parts += outside
    body = b"".join(parts)
    return body + blake3.blake3(body).digest()
