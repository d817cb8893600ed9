"""Decoding from several threads at once (fsspec readers) must not share a zstd
context: a shared one crashed the process with a heap corruption."""
from __future__ import annotations

import os
import threading

from ldv.plumbing.delta import Codec


def test_concurrent_decode_returns_exact_bytes():
    codec = Codec()
    originals = [os.urandom(512) + bytes([i]) * 40_000 for i in range(6)]
    encoded = [codec.encode(d) for d in originals]
    bad: list[int] = []

    def reader():
        for _ in range(100):
            for (enc, body), want in zip(encoded, originals):
                if codec.decode(enc, body) != want:
                    bad.append(1)

    threads = [threading.Thread(target=reader) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert not any(t.is_alive() for t in threads)
    assert not bad
