"""BLAKE3 states of uploads whose parts arrived in order at this process.

Finishing a pack must prove that its bytes hash to its name.  When every part
came to this process in order, the hash was computed on the way in and nothing
is read back; otherwise (a resumed push, parts spread over instances, a part sent
twice) ``finish`` reads the stored parts back and hashes them.  A cache only:
losing it costs a read, never correctness of what is compared.
"""
from __future__ import annotations

import threading
from collections import OrderedDict

import blake3


class UploadHashes:
    def __init__(self, limit: int = 256):
        self._states: OrderedDict = OrderedDict()
        self._lock = threading.Lock()
        self._limit = limit

    def feed(self, key, index: int, data: bytes) -> None:
        """Account part ``index`` (call after it was stored)."""
        with self._lock:
            state = self._states.pop(key, None)
        if index == 0:
            state = [0, blake3.blake3(max_threads=blake3.blake3.AUTO), 0]
        elif state is None or state[0] != index:
            return          # out of order or repeated: finish reads back instead
        state[1].update(data)
        state[0], state[2] = index + 1, state[2] + len(data)
        with self._lock:
            self._states[key] = state
            while len(self._states) > self._limit:
                self._states.popitem(last=False)

    def take(self, key, parts: int) -> tuple[str, int] | None:
        """(hex digest, size) if exactly parts 0..parts-1 were fed in order."""
        with self._lock:
            state = self._states.pop(key, None)
        if state is None or state[0] != parts:
            return None
        return state[1].hexdigest(), state[2]
