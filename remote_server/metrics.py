"""Prometheus text-format metrics, kept in process without a client library.

Counters by (method, route, status), bytes in and out, and a latency histogram.
"""
from __future__ import annotations

import threading
from collections import defaultdict

_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 10.0)


class Metrics:
    def __init__(self):
        self._lock = threading.Lock()
        self.requests: dict[tuple[str, str, int], int] = defaultdict(int)
        self.bytes_in = 0
        self.bytes_out = 0
        self.pack_bytes_in = 0      # part bodies only: what resumable uploads measure
        self._hist = [0] * (len(_BUCKETS) + 1)
        self._sum = 0.0
        self._count = 0

    def observe(self, method: str, route: str, status: int, seconds: float) -> None:
        with self._lock:
            self.requests[(method, route, status)] += 1
            i = next((i for i, b in enumerate(_BUCKETS) if seconds <= b), len(_BUCKETS))
            self._hist[i] += 1
            self._sum += seconds
            self._count += 1

    def add_bytes(self, *, received: int = 0, sent: int = 0, pack: int = 0) -> None:
        with self._lock:
            self.bytes_in += received
            self.bytes_out += sent
            self.pack_bytes_in += pack

    def render(self) -> str:
        with self._lock:
            lines = ["# TYPE ldv_requests_total counter"]
            for (m, r, s), n in sorted(self.requests.items()):
                lines.append(f'ldv_requests_total{{method="{m}",route="{r}",status="{s}"}} {n}')
            lines += ["# TYPE ldv_received_bytes_total counter",
                      f"ldv_received_bytes_total {self.bytes_in}",
                      "# TYPE ldv_sent_bytes_total counter",
                      f"ldv_sent_bytes_total {self.bytes_out}",
                      "# TYPE ldv_pack_part_bytes_total counter",
                      f"ldv_pack_part_bytes_total {self.pack_bytes_in}",
                      "# TYPE ldv_request_seconds histogram"]
            acc = 0
            for b, n in zip(_BUCKETS + (float("inf"),), self._hist):
                acc += n
                le = "+Inf" if b == float("inf") else repr(b)
                lines.append(f'ldv_request_seconds_bucket{{le="{le}"}} {acc}')
            lines += [f"ldv_request_seconds_sum {self._sum:.6f}",
                      f"ldv_request_seconds_count {self._count}"]
        return "\n".join(lines) + "\n"
