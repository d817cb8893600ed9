"""Run a real ldv-server (uvicorn, HTTPS on loopback) in a thread for a test.

``ServerThread`` starts, stops and restarts on the same port, so tests can kill
the server mid-transfer.  Builders make repositories, tokens and random packs.
"""
from __future__ import annotations

import os
import socket
import threading
import time

import blake3
import uvicorn

from ldv.remote_server.app import create_app
from ldv.remote_server.services import Services
from ldv.remote_server.tls import init_tls


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class ServerThread:
    def __init__(self, svc: Services, tls_dir, port: int | None = None):
        self.svc = svc
        self.cert, self.key, self.fingerprint = init_tls(tls_dir, ["localhost", "127.0.0.1"])
        self.port = port or free_port()
        self.app = create_app(svc)
        self._server = None
        self._thread = None

    @property
    def base(self) -> str:
        return f"https://127.0.0.1:{self.port}"

    def url(self, repo: str) -> str:
        return f"{self.base}/{repo}"

    def start(self) -> "ServerThread":
        config = uvicorn.Config(self.app, host="127.0.0.1", port=self.port, log_level="error",
                                ssl_certfile=str(self.cert), ssl_keyfile=str(self.key),
                                lifespan="off", timeout_graceful_shutdown=1)
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._server.run, daemon=True)
        self._thread.start()
        deadline = time.monotonic() + 20
        while not self._server.started:
            if time.monotonic() > deadline or not self._thread.is_alive():
                raise RuntimeError("ldv-server did not start")
            time.sleep(0.02)
        return self

    def stop(self) -> None:
        if self._server:
            self._server.should_exit = True
            self._thread.join(10)
            self._server = None


def random_pack(n_objects: int = 4, size: int = 4096, kind: str = "data",
                oids: list[str] | None = None):
    """(pack name, bytes, entries) of a pack of random bytes with made-up object ids."""
    data = os.urandom(n_objects * size + 64)
    oids = oids or [os.urandom(32).hex() for _ in range(n_objects)]
    entries = [[o, i * size, size, kind] for i, o in enumerate(oids)]
    return blake3.blake3(data).hexdigest(), data, entries
