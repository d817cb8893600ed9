"""The production metadata store: PostgreSQL through psycopg 3.

Queries are written with ``?`` placeholders (shared with SQLite) and translated to
psycopg's ``%s`` here.  ``schema`` puts every table in its own schema, so several
servers (or parallel test runs) can share one database.  A small pool of
connections serves the server's threads; a broken connection is replaced.
"""
from __future__ import annotations

import asyncio
import contextlib
import queue
import re

import psycopg

from ldv.plumbing.errors import NetworkError

from .store import SqlStore

_SCHEMA = re.compile(r"[a-z_][a-z0-9_]{0,62}\Z")



# PostgreSQL's base64 breaks lines every 76 characters; JSON wants one string.
_REFS_JSON = ("SELECT json_build_object('refs', COALESCE(json_agg(json_build_object("
              "'name', name, 'target', target, 'sealed',"
              " translate(encode(sealed, 'base64'), E'\\n', ''), 'version', version)"
              " ORDER BY name), '[]'::json))::text FROM refs WHERE repo_id = %s")


class _Cursor:
    """A psycopg cursor that accepts ``?`` placeholders."""

    def __init__(self, cur):
        self._cur = cur

    def execute(self, sql, args=()):
        return self._cur.execute(sql.replace("?", "%s") if args else sql, args or None)

    def executemany(self, sql, rows):
        rows = list(rows)
        if rows:
            self._cur.executemany(sql.replace("?", "%s"), rows)

    def __getattr__(self, name):
        return getattr(self._cur, name)


class PostgresStore(SqlStore):
    dialect = "postgres"

    def __init__(self, url: str, schema: str | None = None, pool_size: int = 8):
        if schema is not None and not _SCHEMA.match(schema):
            raise ValueError(f"bad schema name {schema!r}")
        self.url, self.schema, self._pool_size = url, schema, pool_size
        self._pool: queue.LifoQueue = queue.LifoQueue()
        for _ in range(pool_size):
            self._pool.put(None)   # connections open lazily

    def _connect(self):
        try:
            conn = psycopg.connect(self.url, autocommit=False)
        except psycopg.OperationalError as e:
            raise NetworkError(f"cannot connect to PostgreSQL: {str(e).strip()[:200]}",
                               hint="check --database-url and that the server runs") from None
        if self.schema:
            with conn.cursor() as cur:
                cur.execute(f'CREATE SCHEMA IF NOT EXISTS "{self.schema}"')
                cur.execute(f'SET search_path TO "{self.schema}"')
            conn.commit()
        return conn

    @contextlib.contextmanager
    def _tx(self, write: bool = False):
        conn = self._pool.get()
        try:
            if conn is None or conn.closed:
                conn = self._connect()
            # Reads run in autocommit: one round trip per query, no BEGIN/COMMIT.
            conn.autocommit = not write
            with conn.cursor() as cur:
                try:
                    yield _Cursor(cur)
                except BaseException:
                    if write:
                        conn.rollback()
                    raise
            if write:
                conn.commit()
        except psycopg.OperationalError:
            conn = None   # reconnect next time
            raise
        finally:
            self._pool.put(conn)

    # -- the async read path: ref listing without a thread hop ---------------------

    async def alist_refs_json(self, repo_id: int) -> bytes:
        """GET refs' whole JSON body, built by PostgreSQL (base64 and all): the
        server forwards it without making a Python object per ref."""
        pool = self._async_pool()
        conn = await pool.get()
        try:
            if conn is None or conn.closed:
                conn = await self._aconnect()
            cur = await conn.execute(_REFS_JSON, (repo_id,))
            row = await cur.fetchone()
        except psycopg.OperationalError:
            conn = None
            raise
        finally:
            pool.put_nowait(conn)
        return row[0].encode()

    def _async_pool(self) -> asyncio.Queue:
        loop = asyncio.get_running_loop()
        pools = self.__dict__.setdefault("_apools", {})
        pool = pools.get(id(loop))
        if pool is None or pools.get(("loop", id(loop))) is not loop:
            pool = asyncio.Queue()
            for _ in range(self._pool_size):
                pool.put_nowait(None)
            pools[id(loop)], pools[("loop", id(loop))] = pool, loop
        return pool

    async def _aconnect(self):
        try:
            conn = await psycopg.AsyncConnection.connect(self.url, autocommit=True)
        except psycopg.OperationalError as e:
            raise NetworkError(f"cannot connect to PostgreSQL: {str(e).strip()[:200]}",
                               hint="check --database-url and that the server runs") from None
        if self.schema:
            await conn.execute(f'SET search_path TO "{self.schema}"')
        return conn

    def _lock_for_migration(self, cur) -> None:
        cur.execute("SELECT pg_advisory_xact_lock(hashtext(current_schema()))")

    def drop_schema(self) -> None:
        """Drop this store's schema and everything in it (tests, `repo` teardown)."""
        if not self.schema:
            raise ValueError("no schema to drop")
        with self._tx(write=True) as cur:
            cur.execute(f'DROP SCHEMA IF EXISTS "{self.schema}" CASCADE')

    def close(self) -> None:
        while not self._pool.empty():
            conn = self._pool.get_nowait()
            if conn is not None:
                conn.close()
