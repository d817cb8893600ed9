"""Content-defined chunking: FastCDC 2020, normalized, with a seeded gear table.

Boundaries depend only on nearby content, so an edit moves at most the cuts around
it and every other chunk keeps its id.  The gear table is XORed with the
repository's 64-bit chunker seed (a keyring secret), so chunk boundaries do not
fingerprint known files.  The parameters are part of the repository format: the
same seed and parameters always cut the same bytes the same way.

Parameters (chosen by measurement, see benchmarks/bench_chunking.py and
docs/FORMAT.md): FastCDC's ``avg_size`` 256 KiB with ``min_size`` 64 KiB (so the
real mean is about 320 KiB), ``max_size`` 1 MiB, normalization level 2.  Large
chunks keep per-chunk Python work and index entries few; deltas against the
aligned old chunk (blobs.py) keep small edits cheap to store anyway.  (At a 1 MiB
average, deltas at zstd level 3 stopped finding the front of the old chunk;
delta.py now sizes zstd's tables to the base, and the 1%-edit cost is 0.29% of
the compressed size at 256 KiB, 0.71% at 1 MiB: benchmarks/RESULTS.md.)
"""
from __future__ import annotations

from typing import BinaryIO, Iterator

from pyfastcdc import FastCDC

AVG_SIZE = 256 * 1024
MIN_SIZE = 64 * 1024
MAX_SIZE = 1024 * 1024
NORMALIZATION = 2
_U64 = 1 << 64


def seed_from_bytes(secret: bytes) -> int:
    """The 64-bit gear seed from a keyring secret (its first 8 bytes, little-endian)."""
    return int.from_bytes(bytes(secret[:8]), "little")


class Chunker:
    """Cuts byte streams into content-defined chunks."""

    def __init__(self, seed: int | bytes, *, avg_size: int = AVG_SIZE,
                 min_size: int = MIN_SIZE, max_size: int = MAX_SIZE,
                 normalization: int = NORMALIZATION):
        if isinstance(seed, (bytes, bytearray, memoryview)):
            seed = seed_from_bytes(seed)
        if not 0 <= seed < _U64:
            raise ValueError("chunker seed must fit in 64 bits")
        self.seed = seed
        self.avg_size, self.min_size, self.max_size = avg_size, min_size, max_size
        self._cdc = FastCDC(avg_size, min_size=min_size, max_size=max_size,
                            normalized_chunking=normalization,
                            seed=seed & 0x7FFF_FFFF_FFFF_FFFF)  # pyfastcdc takes 63 bits

    def chunks(self, stream: BinaryIO) -> Iterator[memoryview]:
        """Yield the chunks of ``stream`` in order.

        Each memoryview is valid only until the next one is requested (the
        chunker reuses one buffer of 2 * max_size), so memory stays bounded for
        any file size; copy it if you keep it.
        """
        for c in self._cdc.cut_stream(stream):
            yield c.data

    def chunks_of(self, data) -> Iterator[memoryview]:
        """Yield chunks of an in-memory buffer (views into ``data``)."""
        for c in self._cdc.cut_buf(data):
            yield c.data
