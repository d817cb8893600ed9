"""THE Backend contract: every object-store backend must pass all of it.

To add a backend, append a factory to BACKEND_FACTORIES: a function taking
pytest's ``request`` and ``tmp_path`` and returning a fresh, empty backend (call
tests.conftest.require_service inside it when a service is needed).
"""
from __future__ import annotations

import io
import os

import pytest

from ldv.plumbing.backends.base import Backend
from ldv.plumbing.backends.local import LocalBackend
from ldv.plumbing.backends.memory import MemoryBackend
from ldv.plumbing.errors import BadInput, MissingPack
from tests.fixtures.seaweed import seaweed  # noqa: F401  (session fixture)


def _memory(request, tmp_path):
    return MemoryBackend()


def _local(request, tmp_path):
    return LocalBackend(tmp_path / "store")


def _s3(request, tmp_path):
    """S3Backend on the session's SeaweedFS (skipped locally, failed in CI, when
    the `weed` binary is missing); a fresh prefix per test keeps tests apart."""
    from ldv.plumbing.backends.s3 import S3Backend
    server = request.getfixturevalue("seaweed")
    bucket = request.getfixturevalue("contract_bucket")
    return S3Backend(bucket, prefix="c" + os.urandom(6).hex(), endpoint_url=server.endpoint,
                     access_key=server.access_key, secret_key=server.secret_key)


BACKEND_FACTORIES = {"memory": _memory, "local": _local, "s3": _s3}


@pytest.fixture(scope="module")
def contract_bucket(seaweed):  # noqa: F811
    return seaweed.new_bucket()


@pytest.fixture(params=sorted(BACKEND_FACTORIES))
def backend(request, tmp_path):
    return BACKEND_FACTORIES[request.param](request, tmp_path)


def test_implements_the_protocol(backend):
    assert isinstance(backend, Backend)


def test_put_get_round_trip_bytes_and_stream(backend):
    backend.put("packs/ab/one", b"0123456789")
    backend.put("packs/cd/two", io.BytesIO(b"x" * 3_000_000))
    assert backend.get("packs/ab/one") == b"0123456789"
    assert backend.get("packs/cd/two") == b"x" * 3_000_000
    assert backend.size("packs/cd/two") == 3_000_000


def test_ranged_reads(backend):
    backend.put("f", bytes(range(256)))
    assert backend.get("f", 10, 5) == bytes(range(10, 15))
    assert backend.get("f", 250) == bytes(range(250, 256))
    assert backend.get("f", 250, 100) == bytes(range(250, 256))   # short at the end
    with backend.open("f") as stream:
        stream.seek(100)
        assert stream.read(3) == bytes((100, 101, 102))


def test_missing_names_raise_missing_pack(backend):
    assert not backend.exists("nope")
    with pytest.raises(MissingPack):
        backend.get("nope")
    with pytest.raises(MissingPack):
        backend.size("nope")
    with pytest.raises(MissingPack):
        backend.open("nope")


def test_list_is_sorted_and_filtered_by_prefix(backend):
    for name in ("packs/b/2", "packs/a/1", "keyring", "packs/a/0"):
        backend.put(name, name.encode())
    assert list(backend.list("packs/")) == ["packs/a/0", "packs/a/1", "packs/b/2"]
    assert list(backend.list()) == ["keyring", "packs/a/0", "packs/a/1", "packs/b/2"]
    assert list(backend.list("zzz")) == []


def test_delete_is_idempotent(backend):
    backend.put("f", b"1")
    backend.delete("f")
    backend.delete("f")
    assert not backend.exists("f")
    assert list(backend.list()) == []


def test_non_pack_files_may_be_replaced(backend):
    backend.put("keyring", b"old")
    backend.put("keyring", b"new")
    assert backend.get("keyring") == b"new"


def test_empty_file(backend):
    backend.put("empty", b"")
    assert backend.exists("empty")
    assert backend.get("empty") == b""
    assert backend.size("empty") == 0


def test_local_backend_rejects_escaping_names(tmp_path):
    b = LocalBackend(tmp_path / "store")
    for bad in ("../x", "/abs", "a//b", ""):
        with pytest.raises(BadInput):
            b.put(bad, b"x")
