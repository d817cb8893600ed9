"""The object-backend contract on a local directory and on S3 (a real SeaweedFS),
plus the S3 backend's translation of botocore errors."""
from __future__ import annotations

import io
import os

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from ldv.plumbing.backends.base import Backend
from ldv.plumbing.backends.local import LocalBackend
from ldv.plumbing.backends.s3 import S3Backend
from ldv.plumbing.errors import AuthError, BadInput, MissingPack, NetworkError
from tests.fixtures.seaweed import seaweed  # noqa: F401  (fixture)


@pytest.fixture(scope="module")
def s3_bucket(seaweed):  # noqa: F811
    return seaweed.new_bucket()


@pytest.fixture(params=["local", "s3"])
def backend(request, tmp_path):
    if request.param == "local":
        return LocalBackend(tmp_path / "store")
    server = request.getfixturevalue("seaweed")
    bucket = request.getfixturevalue("s3_bucket")
    return S3Backend(bucket, prefix="t" + os.urandom(6).hex(), endpoint_url=server.endpoint,
                     access_key=server.access_key, secret_key=server.secret_key)


def test_is_a_backend(backend):
    assert isinstance(backend, Backend)


def test_put_get_ranges(backend):
    data = os.urandom(100_000)
    backend.put("packs/ab/abc", data)
    assert backend.get("packs/ab/abc") == data
    assert backend.get("packs/ab/abc", 10, 20) == data[10:30]
    assert backend.get("packs/ab/abc", 99_990) == data[99_990:]
    assert backend.get("packs/ab/abc", 99_990, 100) == data[99_990:]
    assert backend.get("packs/ab/abc", 5, 0) == b""
    assert backend.get("packs/ab/abc", 200_000, 10) == b""
    assert backend.size("packs/ab/abc") == len(data)


def test_put_from_stream_and_open_seek(backend):
    data = os.urandom(300_000)
    backend.put("big", io.BytesIO(data))
    with backend.open("big") as f:
        assert f.read(10) == data[:10]
        f.seek(250_000)
        assert f.read() == data[250_000:]
        f.seek(-5, 2)
        assert f.read() == data[-5:]


def test_missing_names_raise_missing_pack(backend):
    for call in (lambda: backend.get("nope"), lambda: backend.size("nope"),
                 lambda: backend.open("nope"), lambda: backend.get("nope", 3, 3)):
        with pytest.raises(MissingPack):
            call()
    assert not backend.exists("nope")
    backend.delete("nope")   # deleting a missing name is fine


def test_list_is_sorted_and_filtered(backend):
    for name in ["b/2", "a/1", "b/1", "c"]:
        backend.put(name, name.encode())
    assert list(backend.list()) == ["a/1", "b/1", "b/2", "c"]
    assert list(backend.list("b/")) == ["b/1", "b/2"]
    backend.delete("b/1")
    assert list(backend.list("b")) == ["b/2"]
    assert backend.exists("c")


def test_overwrite_replaces_whole_object(backend):
    backend.put("keyring", b"one")
    backend.put("keyring", b"second")
    assert backend.get("keyring") == b"second"


@pytest.mark.parametrize("name", ["", "/abs", "a/../b", "a//b", "./a"])
def test_bad_names_are_refused(backend, name):
    with pytest.raises(BadInput):
        backend.put(name, b"x")


@settings(max_examples=15, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.binary(min_size=1, max_size=5000), off=st.integers(0, 6000),
       length=st.one_of(st.none(), st.integers(0, 6000)))
def test_ranged_reads_match_slicing(backend, data, off, length):
    backend.put("h", data)
    want = data[off:] if length is None else data[off:off + length]
    assert backend.get("h", off, length) == want


def test_s3_unreachable_endpoint_is_a_network_error():
    b = S3Backend("bucket", endpoint_url="http://127.0.0.1:9", access_key="a",
                  secret_key="b", max_attempts=1)
    with pytest.raises(NetworkError):
        b.size("x")


def test_s3_missing_bucket_is_reported_and_creatable(seaweed):  # noqa: F811
    b = S3Backend("ldv-absent-" + os.urandom(4).hex(), endpoint_url=seaweed.endpoint,
                  access_key=seaweed.access_key, secret_key=seaweed.secret_key)
    with pytest.raises((NetworkError, MissingPack, AuthError)):   # SeaweedFS: AccessDenied
        b.put("x", b"1")
    b.ensure_bucket()
    b.put("x", b"1")
    assert b.get("x") == b"1"
