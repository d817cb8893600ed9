"""Packs: immutable files of encrypted objects, restic's layout.

    preamble  "LDVP" | version u8 | kind u8 | data key id u32 | salt 16    (26 bytes)
    entries   AES-256-GCM(pack key, nonce = offset, aad = id|type|enc|key id)
    header    AES-256-GCM(pack key, nonce = offset, aad = "ldv pack header"|preamble)
              of one record per entry:
                version 2: id 32 | type u8 | encoding u8 | u length
                           [| u base | u depth]   (u: LEB128 varint)
                version 1: id 32 | type u8 | encoding u8 | length u32 [| base id 32 | depth u8]
    trailer   header length u32

In version 2 a delta's base is ``k`` >= 1 for the k-th entry of the same pack
(before or after it), or 0 followed by the base's 32-byte id: repack writes a
chain into one pack, so most bases cost a byte instead of 32.  Version 1 packs
are still read.  The pack key is HKDF(data key, salt); the nonce is the byte
offset, unique in the pack.  A pack is named by the unkeyed BLAKE3 of its bytes,
so a server can check an upload without keys.  The header lets the index be
rebuilt from the packs alone.
"""
from __future__ import annotations

import io
import struct
from dataclasses import dataclass

import blake3

from . import crypto
from .errors import CorruptObject, CorruptPack, MissingKey
from .objects import read_uvarint, uvarint

MAGIC = b"LDVP"
VERSION = 2
VERSIONS = (1, 2)      # read
PREAMBLE = struct.Struct(">4sBBI16s")
PREAMBLE_LEN = PREAMBLE.size
TRAILER = struct.Struct(">I")
_REC_V1 = struct.Struct(">32sBBI")
_DELTA_V1 = struct.Struct(">32sB")
_KIND = struct.Struct(">32sBB")
HEADER_AAD = b"ldv pack header"
DELTA_ENC = 2  # delta.Encoding.DELTA; kept numeric so pack.py does not import zstd

KIND_DATA = 0
KIND_META = 1


@dataclass(frozen=True, slots=True)
class PackEntry:
    """Where one object lives in a pack and how it is encoded."""

    oid: bytes
    type: int
    enc: int
    offset: int
    length: int           # ciphertext length (body + GCM tag)
    base: bytes | None = None
    depth: int = 0


def entry_aad(oid: bytes, type_code: int, enc: int, key_id: int) -> bytes:
    return oid + bytes((type_code, enc)) + key_id.to_bytes(4, "big")


def pack_path(name: str) -> str:
    """The backend name of a pack (fan-out by the first two hex digits)."""
    return f"packs/{name[:2]}/{name}"


class PackWriter:
    """Builds one pack in memory (bounded by the store's pack size)."""

    def __init__(self, kind: int, key_id: int, data_key: bytes):
        self.kind = kind
        self.key_id = key_id
        self.salt = crypto.random_bytes(crypto.SALT_LEN)
        self.cipher = crypto.PackCipher(data_key, self.salt)
        self.preamble = PREAMBLE.pack(MAGIC, VERSION, kind, key_id, self.salt)
        self.parts: list[bytes] = [self.preamble]
        self.entries: list[PackEntry] = []
        self.size = PREAMBLE_LEN
        self._hash = blake3.blake3(self.preamble)

    def add(self, oid: bytes, type_code: int, enc: int, body,
            base: bytes | None = None, depth: int = 0) -> PackEntry:
        ct = self.cipher.encrypt(self.size, body,
                                 entry_aad(oid, type_code, enc, self.key_id))
        entry = PackEntry(oid, type_code, enc, self.size, len(ct), base, depth)
        self.parts.append(ct)
        self._hash.update(ct)
        self.entries.append(entry)
        self.size += len(ct)
        return entry

    def read(self, entry: PackEntry) -> bytes:
        """The ciphertext of an entry still in this writer."""
        return self._by_offset(entry.offset)

    def _by_offset(self, offset: int) -> bytes:
        # entries are appended in offset order: bisect over them
        lo, hi = 0, len(self.entries)
        while lo < hi:
            mid = (lo + hi) // 2
            if self.entries[mid].offset < offset:
                lo = mid + 1
            else:
                hi = mid
        return self.parts[1 + lo]

    def finish(self) -> tuple[str, "PartsReader"]:
        """Seal the header; return (name, a stream of the pack's bytes)."""
        header = encode_records(self.entries)
        hct = self.cipher.encrypt(self.size, header, HEADER_AAD + self.preamble)
        tail = [hct, TRAILER.pack(len(hct))]
        for part in tail:
            self._hash.update(part)
        self.parts += tail
        return self._hash.hexdigest(), PartsReader(self.parts)


class PartsReader(io.RawIOBase):
    """A read-only stream over a list of byte strings, without joining them
    (a 16 MiB join costs a copy and fresh pages for nothing)."""

    def __init__(self, parts: list[bytes]):
        self._parts = parts
        self._i = 0
        self._pos = 0
        self.size = sum(len(p) for p in parts)

    def readable(self) -> bool:
        return True

    def read(self, n: int = -1) -> bytes:
        if n is None or n < 0:
            rest = [p[self._pos:] if k == 0 else p
                    for k, p in enumerate(self._parts[self._i:])]
            self._i, self._pos = len(self._parts), 0
            return b"".join(rest)
        if self._i >= len(self._parts):
            return b""
        part = self._parts[self._i]
        if self._pos == 0 and len(part) <= n:
            self._i += 1
            return part
        out = part[self._pos:self._pos + n]
        self._pos += len(out)
        if self._pos >= len(part):
            self._i, self._pos = self._i + 1, 0
        return out

    def readinto(self, buf) -> int:
        data = self.read(len(buf))
        buf[:len(data)] = data
        return len(data)

    def getvalue(self) -> bytes:
        return b"".join(self._parts)


def encode_records(entries: list[PackEntry]) -> bytes:
    """A version 2 pack header's plaintext."""
    number = {e.oid: k for k, e in enumerate(entries, 1)}
    out = bytearray()
    for e in entries:
        out += _KIND.pack(e.oid, e.type, e.enc)
        out += uvarint(e.length)
        if e.enc == DELTA_ENC:
            k = number.get(e.base, 0) if e.base != e.oid else 0
            out += uvarint(k)
            if not k:
                out += e.base
            out += uvarint(e.depth)
    return bytes(out)


def parse_preamble(name: str, raw: bytes) -> tuple[int, int, bytes]:
    """(kind, key id, salt) of a pack; CorruptPack when it is not one."""
    if len(raw) < PREAMBLE_LEN:
        raise CorruptPack(f"pack {name} is truncated", hint=_FSCK_HINT)
    magic, version, kind, key_id, salt = PREAMBLE.unpack_from(raw)
    if magic != MAGIC or version not in VERSIONS or kind not in (KIND_DATA, KIND_META):
        raise CorruptPack(f"pack {name} has a damaged preamble", hint=_FSCK_HINT)
    return kind, key_id, salt


def pack_cipher(name: str, preamble: bytes, data_keys: dict[int, bytes]):
    """(kind, key id, PackCipher) for a pack from its preamble bytes."""
    kind, key_id, salt = parse_preamble(name, preamble)
    try:
        key = data_keys[key_id]
    except KeyError:
        raise MissingKey(f"pack {name} names data key {key_id:08x}, which this keyring "
                         "lacks (rotated in another clone, or the pack is damaged)",
                         hint="fetch from the remote to update the keyring; "
                              "run `ldv fsck` if that does not help") from None
    return kind, key_id, crypto.PackCipher(key, salt)


def read_header(name: str, backend, path: str, data_keys: dict[int, bytes]):
    """(kind, entries) of a pack from its preamble, header and trailer only."""
    size = backend.size(path)
    if size < PREAMBLE_LEN + TRAILER.size + crypto.TAG_LEN:
        raise CorruptPack(f"pack {name} is truncated", hint=_FSCK_HINT)
    preamble = backend.get(path, 0, PREAMBLE_LEN)
    kind, _key_id, cipher = pack_cipher(name, preamble, data_keys)
    (hlen,) = TRAILER.unpack(backend.get(path, size - TRAILER.size, TRAILER.size))
    hoff = size - TRAILER.size - hlen
    if hoff < PREAMBLE_LEN:
        raise CorruptPack(f"pack {name} is truncated or its trailer is damaged",
                          hint=_FSCK_HINT)
    try:
        header = cipher.decrypt(hoff, backend.get(path, hoff, hlen), HEADER_AAD + preamble)
    except crypto.DecryptError:
        raise CorruptPack(f"the header of pack {name} does not authenticate",
                          hint=_FSCK_HINT) from None
    if preamble[4] == 1:
        return kind, list(_parse_records_v1(name, header, hoff))
    return kind, parse_records(name, header, hoff)


def parse_records(name: str, header: bytes, end: int) -> list[PackEntry]:
    """The entries of a version 2 header whose entries end at offset ``end``."""
    rows, pos, offset = [], 0, PREAMBLE_LEN
    try:
        while pos < len(header):
            oid, type_code, enc = _KIND.unpack_from(header, pos)
            length, pos = read_uvarint(header, pos + _KIND.size)
            base, depth = None, 0
            if enc == DELTA_ENC:
                base, pos = read_uvarint(header, pos)
                if not base:
                    base, pos = header[pos:pos + 32], pos + 32
                    if len(base) != 32:
                        raise CorruptObject("truncated base id")
                depth, pos = read_uvarint(header, pos)
            rows.append((oid, type_code, enc, offset, length, base, depth))
            offset += length
    except (struct.error, CorruptObject):
        raise CorruptPack(f"the header of pack {name} is malformed", hint=_FSCK_HINT) from None
    if offset != end:
        raise CorruptPack(f"the header of pack {name} does not match its entries",
                          hint=_FSCK_HINT)
    out = []
    for oid, type_code, enc, off, length, base, depth in rows:
        if isinstance(base, int):
            if base > len(rows) or rows[base - 1][0] == oid:
                raise CorruptPack(f"the header of pack {name} names a base it lacks",
                                  hint=_FSCK_HINT)
            base = rows[base - 1][0]
        out.append(PackEntry(oid, type_code, enc, off, length, base, depth))
    return out


def _parse_records_v1(name: str, header: bytes, end: int):
    pos, offset = 0, PREAMBLE_LEN
    while pos < len(header):
        if pos + _REC_V1.size > len(header):
            raise CorruptPack(f"the header of pack {name} is malformed", hint=_FSCK_HINT)
        oid, type_code, enc, length = _REC_V1.unpack_from(header, pos)
        pos += _REC_V1.size
        base, depth = None, 0
        if enc == DELTA_ENC:
            if pos + _DELTA_V1.size > len(header):
                raise CorruptPack(f"the header of pack {name} is malformed",
                                  hint=_FSCK_HINT)
            base, depth = _DELTA_V1.unpack_from(header, pos)
            pos += _DELTA_V1.size
        yield PackEntry(oid, type_code, enc, offset, length, base, depth)
        offset += length
    if offset != end:
        raise CorruptPack(f"the header of pack {name} does not match its entries",
                          hint=_FSCK_HINT)


def check_pack_bytes(name: str, stream) -> None:
    """CorruptPack unless the BLAKE3 of the stream's bytes is the pack's name."""
    h = blake3.blake3()
    while chunk := stream.read(1 << 20):
        h.update(chunk)
    if h.hexdigest() != name:
        raise CorruptPack(f"pack {name} does not match its name (damaged on disk)",
                          hint=_FSCK_HINT)


_FSCK_HINT = "run `ldv fsck`; fetch the pack again from a remote if you have one"
