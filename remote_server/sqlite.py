"""The embedded metadata store: one SQLite file in the data directory.

WAL mode so readers never wait for the writer; writes take the lock up front
(``BEGIN IMMEDIATE``) so two concurrent ref swaps serialize instead of failing on
a lock upgrade.  A small pool of connections serves the server's threads.
"""
from __future__ import annotations

import contextlib
import queue
import sqlite3
from pathlib import Path

from .store import SqlStore


class SqliteStore(SqlStore):
    dialect = "sqlite"

    def __init__(self, path: str, pool_size: int = 8):
        self.path = str(path)
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        self._pool: queue.LifoQueue = queue.LifoQueue()
        self._conns: list[sqlite3.Connection] = []
        for _ in range(pool_size):
            self._pool.put(self._connect())

    def _connect(self) -> sqlite3.Connection:
        conn = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False,
                               timeout=30)
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=NORMAL")
        conn.execute("PRAGMA busy_timeout=30000")
        self._conns.append(conn)
        return conn

    @contextlib.contextmanager
    def _tx(self, write: bool = False):
        conn = self._pool.get()
        try:
            cur = conn.cursor()
            cur.execute("BEGIN IMMEDIATE" if write else "BEGIN")
            try:
                yield cur
            except BaseException:
                conn.rollback()
                raise
            conn.commit()
        finally:
            self._pool.put(conn)

    def close(self) -> None:
        for conn in self._conns:
            conn.close()
        self._conns.clear()
