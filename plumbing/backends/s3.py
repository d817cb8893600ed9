"""A Backend on S3 or any S3-compatible store (SeaweedFS, MinIO, Ceph), via boto3.

Objects live under ``prefix`` in ``bucket``; a name maps to a key one-to-one.
A PUT on S3 is atomic (readers see the old object, the new one, or nothing), so
no temp-and-rename dance is needed.  botocore's errors stop at this module: they
become plumbing.errors here (MissingPack, AuthError, NetworkError).
"""
from __future__ import annotations

import io
from typing import BinaryIO, Iterator

import boto3
import boto3.exceptions
import botocore.exceptions as bexc
from boto3.s3.transfer import TransferConfig
from botocore.config import Config

from ..errors import AuthError, BadInput, MissingPack, NetworkError

_MISSING = {"NoSuchKey", "404", "NotFound"}
_DENIED = {"AccessDenied", "InvalidAccessKeyId", "SignatureDoesNotMatch", "403"}
# 16 MiB parts: a 64 MiB pack goes up in four parallel parts.
_TRANSFER = TransferConfig(multipart_threshold=32 << 20, multipart_chunksize=16 << 20,
                           max_concurrency=4)


class S3Backend:
    """Named immutable objects in one bucket under an optional prefix."""

    def __init__(self, bucket: str, prefix: str = "", *, endpoint_url: str | None = None,
                 region: str | None = None, access_key: str | None = None,
                 secret_key: str | None = None, max_attempts: int = 5, client=None):
        self.bucket = bucket
        self.prefix = prefix.strip("/") + "/" if prefix.strip("/") else ""
        self.client = client or boto3.client(
            "s3", endpoint_url=endpoint_url, region_name=region or "us-east-1",
            aws_access_key_id=access_key, aws_secret_access_key=secret_key,
            config=Config(s3={"addressing_style": "path"}, max_pool_connections=32,
                          retries={"max_attempts": max_attempts, "mode": "standard"},
                          connect_timeout=10, read_timeout=120))

    def _key(self, name: str) -> str:
        if not name or name.startswith("/") or any(p in ("", ".", "..")
                                                   for p in name.split("/")):
            raise BadInput(f"invalid backend file name {name!r}")
        return self.prefix + name

    def ensure_bucket(self) -> None:
        """Create the bucket if it does not exist yet."""
        with _translated(self.bucket):
            try:
                self.client.head_bucket(Bucket=self.bucket)
            except bexc.ClientError as e:
                if _code(e) not in _MISSING | {"NoSuchBucket"}:
                    raise
                self.client.create_bucket(Bucket=self.bucket)

    def put(self, name: str, data) -> None:
        key = self._key(name)
        with _translated(name):
            if isinstance(data, (bytes, bytearray, memoryview)):
                self.client.put_object(Bucket=self.bucket, Key=key, Body=bytes(data))
            else:
                self.client.upload_fileobj(data, self.bucket, key, Config=_TRANSFER)

    def get(self, name: str, offset: int = 0, length: int | None = None) -> bytes:
        if length == 0:
            return b""
        rng = f"bytes={offset}-" if length is None else f"bytes={offset}-{offset + length - 1}"
        if offset == 0 and length is None:
            rng = None
        with _translated(name):
            try:
                args = {"Bucket": self.bucket, "Key": self._key(name)}
                if rng:
                    args["Range"] = rng
                return self.client.get_object(**args)["Body"].read()
            except bexc.ClientError as e:
                if _code(e) in ("InvalidRange", "416"):
                    self.size(name)     # missing, or just past the end
                    return b""
                raise

    def open(self, name: str) -> BinaryIO:
        return io.BufferedReader(_RangeReader(self, name, self.size(name)), 4 << 20)

    def size(self, name: str) -> int:
        with _translated(name):
            head = self.client.head_object(Bucket=self.bucket, Key=self._key(name))
        return head["ContentLength"]

    def exists(self, name: str) -> bool:
        try:
            self.size(name)
            return True
        except MissingPack:
            return False

    def list(self, prefix: str = "") -> Iterator[str]:
        pages = self.client.get_paginator("list_objects_v2").paginate(
            Bucket=self.bucket, Prefix=self.prefix + prefix)
        names = []
        with _translated(prefix or "/"):
            for page in pages:
                names.extend(o["Key"][len(self.prefix):] for o in page.get("Contents", ()))
        return iter(sorted(names))

    def presign(self, name: str, expires: int = 3600) -> str:
        """A URL that lets its holder GET ``name`` for ``expires`` seconds (no keys)."""
        with _translated(name):
            return self.client.generate_presigned_url(
                "get_object", Params={"Bucket": self.bucket, "Key": self._key(name)},
                ExpiresIn=expires)

    def delete(self, name: str) -> None:
        with _translated(name):
            self.client.delete_object(Bucket=self.bucket, Key=self._key(name))


class _RangeReader(io.RawIOBase):
    """A seekable raw stream whose reads are ranged GETs."""

    def __init__(self, backend: S3Backend, name: str, size: int):
        self._b, self._name, self._size, self._pos = backend, name, size, 0

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self._pos

    def seek(self, offset: int, whence: int = 0) -> int:
        base = {0: 0, 1: self._pos, 2: self._size}[whence]
        self._pos = max(0, base + offset)
        return self._pos

    def readinto(self, buf) -> int:
        n = min(len(buf), self._size - self._pos)
        if n <= 0:
            return 0
        data = self._b.get(self._name, self._pos, n)
        buf[:len(data)] = data
        self._pos += len(data)
        return len(data)


def _code(e: bexc.ClientError) -> str:
    return str(e.response.get("Error", {}).get("Code", ""))


class _translated:
    """Turn botocore errors into plumbing errors for the object ``name``."""

    def __init__(self, name: str):
        self.name = name

    def __enter__(self):
        return self

    def __exit__(self, et, e, tb):
        if isinstance(e, boto3.exceptions.S3UploadFailedError):
            raise NetworkError(f"upload of {self.name} to S3 failed: {e}"[:300],
                               hint="check the S3 endpoint and retry") from None
        if e is None or not isinstance(e, bexc.BotoCoreError | bexc.ClientError):
            return False
        if isinstance(e, bexc.ClientError):
            code = _code(e)
            if code in _MISSING:
                raise MissingPack(f"{self.name} is missing from the S3 store",
                                  hint="run `ldv fsck`; push it again from a clone") from None
            if code in _DENIED:
                raise AuthError(f"S3 refused access to {self.name} ({code})",
                                hint="check the S3 access key, secret and bucket policy") \
                    from None
            if code == "NoSuchBucket":
                raise NetworkError(f"the S3 bucket does not exist ({self.name})",
                                   hint="create it, or run `ldv-server migrate`") from None
            raise NetworkError(f"S3 error {code} on {self.name}: {e}"[:300],
                               hint="check the S3 endpoint and retry") from None
        raise NetworkError(f"cannot reach S3 for {self.name}: {e}"[:300],
                           hint="check --s3-endpoint and that the store is running") from None
