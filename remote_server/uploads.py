"""BLAKE3 states of uploads whose parts arrive at this process.

Finishing a pack must prove that its bytes hash to its name.  When every part
came to this process, the hash was computed on the way in and nothing is read
back; otherwise (a resumed push, parts spread over instances, a part sent twice)
``finish`` reads the stored parts back and hashes them.  Clients send two parts
at a time, so a part may arrive one or two ahead of its turn: a few such parts
wait here (bounded in count and bytes) until the gap is filled.  A cache only:
losing it costs a read, never the correctness of what is compared.
"""
from __future__ import annotations

import threading
from collections import OrderedDict

import blake3

MAX_AHEAD = 4                 # parts that may wait for an earlier one, per upload
MAX_WAITING_BYTES = 256 << 20  # over all uploads of this process


class _State:
    __slots__ = ("next", "hasher", "size", "waiting")

    def __init__(self):
        self.next, self.size = 0, 0
        self.hasher = blake3.blake3(max_threads=blake3.blake3.AUTO)
        self.waiting: dict[int, bytes] = {}


class UploadHashes:
    def __init__(self, limit: int = 256):
        self._states: OrderedDict = OrderedDict()
        self._lock = threading.Lock()
        self._limit = limit
        self._waiting_bytes = 0

    def feed(self, key, index: int, data: bytes) -> None:
        """Account part ``index`` (call after it was stored)."""
        with self._lock:
            state = self._states.get(key)
            if state is None or (index == 0 and state.next > 0):
                state = self._replace(key, _State())     # new upload, or restarted
            if index < state.next or index in state.waiting:
                self._drop(key)                          # sent twice: read back at finish
                return
            if index > state.next:
                if len(state.waiting) >= MAX_AHEAD or \
                        self._waiting_bytes + len(data) > MAX_WAITING_BYTES:
                    self._drop(key)
                    return
                state.waiting[index] = data
                self._waiting_bytes += len(data)
                return
            ready = [data]
            state.next += 1
            while state.next in state.waiting:
                ready.append(state.waiting.pop(state.next))
                self._waiting_bytes -= len(ready[-1])
                state.next += 1
            for piece in ready:      # under the lock: parts of one upload stay in order
                state.hasher.update(piece)
                state.size += len(piece)

    def take(self, key, parts: int) -> tuple[str, int] | None:
        """(hex digest, size) if exactly parts 0..parts-1 were fed."""
        with self._lock:
            state = self._states.get(key)
            if state is None or state.next != parts or state.waiting:
                self._drop(key)
                return None
            self._drop(key)
            return state.hasher.hexdigest(), state.size

    def _replace(self, key, state: _State) -> _State:
        self._drop(key)
        self._states[key] = state
        while len(self._states) > self._limit:
            self._drop(next(iter(self._states)))
        return state

    def _drop(self, key) -> None:
        state = self._states.pop(key, None)
        if state is not None:
            self._waiting_bytes -= sum(map(len, state.waiting.values()))
