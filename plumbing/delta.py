"""Storage encodings of one object: raw, zstd, or a zstd delta against a base.

A delta is a zstd frame compressed with the base's plaintext as a raw-content
dictionary, so zstd's match finder turns unchanged stretches into references.
Frames are lean on purpose (magicless, no checksum, no dictionary id): GCM and the
id check already guard integrity, and the 1%-edit target counts every byte.
"""
from __future__ import annotations

import enum
import threading

import zstandard as zstd

from .errors import CorruptObject

DEFAULT_LEVEL = 1
DELTA_LEVEL = 1      # zstd "fast" with a hash table sized to the base (_delta_params)
REPACK_DELTA_LEVEL = 12   # gc's deltas: lazy2, ~3x smaller than level 1 at ~3x the time
PAYS = 0.97          # keep zstd output only when it saves at least 3%
DELTA_PAYS = 0.5     # keep a delta only when it is at most half the full encoding
DELTA_EASY = 1 / 16  # below this fraction of the raw size, skip computing the full one
_MAGIC = b"\x28\xb5\x2f\xfd"   # a zstd frame's magic number, little-endian


class Encoding(enum.IntEnum):
    RAW = 0
    ZSTD = 1
    DELTA = 2


def _params(level: int, **tuned):
    return zstd.ZstdCompressionParameters.from_level(
        level, format=zstd.FORMAT_ZSTD1_MAGICLESS, write_checksum=0,
        write_content_size=1, write_dict_id=0, **tuned)


def _delta_params(level: int, base_len: int, data_len: int):
    """Parameters for a delta of ``data_len`` bytes against a ``base_len`` base.

    zstd indexes only the last ``8 << max(hashLog, chainLog)`` bytes of a
    dictionary (ZSTD_loadDictionaryContent), so the hash table is sized to hold
    the whole base, and no larger: filling it is most of a delta's cost.  With
    that, level 1 ("fast") finds the base's matches as level 3 does, ~1.2-1.6x
    faster (benchmarks/RESULTS.md).  The window spans base and data, so every
    match in the base is reachable.  gc re-encodes with REPACK_DELTA_LEVEL, whose
    deltas of 1%-edited JSONL chunks are ~3x smaller."""
    bits = (max(base_len, 1) - 1).bit_length()
    window_log = min(max((base_len + data_len - 1).bit_length(), 17), 27)
    if level < 3:
        return _params(level, hash_log=min(max(bits - 3, 12), 20), window_log=window_log)
    # lazy levels walk a chain table too: both sized to the base, which keeps
    # loading the dictionary cheap and every base position findable; the search
    # depth of level 12 (searchLog 6) is what finds the match after an edit.
    # Matches of at least 6 bytes: shorter ones inside an edited record cost
    # more to code than the literals they replace (gc's deltas of the 512 MiB
    # benchmark: 7% smaller, 339 -> 315 B mean over 1,278 chunk pairs)
    tables = min(max(bits - 1, 12), 22)
    return _params(level, hash_log=tables, chain_log=tables, window_log=window_log,
                   min_match=6)


class Codec:
    """Encoder/decoder; one per thread (zstd contexts are not thread-safe)."""

    def __init__(self, level: int = DEFAULT_LEVEL, delta_level: int = DELTA_LEVEL):
        self.level = level
        self.delta_level = delta_level
        self._cctx = zstd.ZstdCompressor(compression_params=_params(level))
        # Decoding may run on several reader threads at once (fsspec, prefetch):
        # each thread gets its own decompression context.
        self._local = threading.local()

    def _dctx(self) -> zstd.ZstdDecompressor:
        dctx = getattr(self._local, "dctx", None)
        if dctx is None:
            dctx = self._local.dctx = zstd.ZstdDecompressor(
                format=zstd.FORMAT_ZSTD1_MAGICLESS)
        return dctx

    def encode_full(self, data) -> tuple[Encoding, bytes]:
        """zstd when it pays, else raw."""
        packed = self._cctx.compress(data)
        if len(packed) <= len(data) * PAYS:
            return Encoding.ZSTD, packed
        return Encoding.RAW, bytes(data)

    def encode(self, data, base: bytes | None = None) -> tuple[Encoding, bytes]:
        """The smallest sensible encoding; a delta only when clearly smaller."""
        if base:
            delta = self.encode_delta(base, data)
            if len(delta) <= len(data) * DELTA_EASY:
                return Encoding.DELTA, delta
            enc, body = self.encode_full(data)
            if len(delta) <= len(body) * DELTA_PAYS:
                return Encoding.DELTA, delta
            return enc, body
        return self.encode_full(data)

    def encode_delta(self, base: bytes, data) -> bytes:
        cdict = zstd.ZstdCompressionDict(base, dict_type=zstd.DICT_TYPE_RAWCONTENT)
        cctx = zstd.ZstdCompressor(dict_data=cdict, compression_params=_delta_params(
            self.delta_level, len(base), len(data)))
        return cctx.compress(data)

    def decode_chain(self, links: list, base: bytes | None = None) -> bytes:
        """The plaintext at the top of a delta chain.  ``links`` are (encoding,
        body) from the bottom up: a full object (or, with ``base``, a delta on
        it), then deltas each against the plaintext below.  A zstd frame under
        deltas is decoded in one call, zstd's content-dictionary chain: no
        dictionary object, no copy of each base and no context per link (~1.7x
        less work per link than :meth:`decode` one by one, measured on 256 KiB
        JSONL chunks).  Magicless frames
        are standard frames less the 4-byte magic, so it is put back."""
        if base is None and len(links) > 1 and links[0][0] == Encoding.ZSTD and \
                all(enc == Encoding.DELTA for enc, _b in links[1:]):
            frames = [_MAGIC + bytes(body) for _enc, body in links]
            try:
                return self._framed_dctx().decompress_content_dict_chain(frames)
            except (zstd.ZstdError, ValueError) as e:
                raise CorruptObject(f"invalid compressed data: {e}") from None
        plain = base
        for enc, body in links:
            plain = self.decode(enc, body, plain)
        return plain

    def _framed_dctx(self) -> zstd.ZstdDecompressor:
        dctx = getattr(self._local, "framed", None)
        if dctx is None:
            dctx = self._local.framed = zstd.ZstdDecompressor()
        return dctx

    def decode(self, enc: int, body, base: bytes | None = None) -> bytes:
        """Inverse of :meth:`encode`; CorruptObject on an invalid frame."""
        try:
            if enc == Encoding.RAW:
                return bytes(body)
            if enc == Encoding.ZSTD:
                return self._dctx().decompress(body)
            if enc == Encoding.DELTA:
                if base is None:
                    raise CorruptObject("a delta needs its base")
                ddict = zstd.ZstdCompressionDict(base, dict_type=zstd.DICT_TYPE_RAWCONTENT)
                dctx = zstd.ZstdDecompressor(dict_data=ddict,
                                             format=zstd.FORMAT_ZSTD1_MAGICLESS)
                return dctx.decompress(body)
        except zstd.ZstdError as e:
            raise CorruptObject(f"invalid compressed data: {e}") from None
        raise CorruptObject(f"unknown encoding {enc}")
