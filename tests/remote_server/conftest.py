"""Fixtures for the server tests: metadata stores on SQLite and PostgreSQL, S3 on SeaweedFS."""
from __future__ import annotations

import pytest

from tests.fixtures.postgres import pg_store, pg_url  # noqa: F401  (fixtures)
from tests.fixtures.seaweed import seaweed  # noqa: F401  (fixture)


@pytest.fixture
def sqlite_store(tmp_path):
    from ldv.remote_server.sqlite import SqliteStore
    store = SqliteStore(tmp_path / "meta.sqlite3", pool_size=4)
    store.migrate()
    yield store
    store.close()


@pytest.fixture(params=["sqlite", "pg"])
def store(request):
    """Every metadata store implementation, for the contract suite."""
    return request.getfixturevalue(f"{request.param}_store")
