"""The server's one context object: metadata store, object backend, metrics, limits.

Built once from a ServerConfig; the views look storage up here and never import
boto3 or a database driver.  Backend names are per repository id (not name), so a
deleted and re-created repository never sees its predecessor's packs.
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field

from ldv.plumbing.backends.base import Backend
from ldv.plumbing.backends.local import LocalBackend

from .config import Limits, ServerConfig
from .metrics import Metrics
from .ratelimit import RateLimiter
from .store import SqlStore
from .uploads import UploadHashes


@dataclass
class Services:
    store: SqlStore
    backend: Backend
    limits: Limits = field(default_factory=Limits)
    metrics: Metrics = field(default_factory=Metrics)
    limiter: RateLimiter | None = None
    uploads: UploadHashes = field(default_factory=UploadHashes)

    def __post_init__(self):
        if self.limiter is None:
            self.limiter = RateLimiter(self.limits.rate_per_token,
                                       self.limits.burst_per_token)


def pack_prefix(repo_id: int, pack: str) -> str:
    """Where a pack's parts live: uploaded there, and read from there once registered."""
    return f"r/{repo_id}/packs/{pack[:2]}/{pack}/"


def part_name(repo_id: int, pack: str, index: int) -> str:
    return f"{pack_prefix(repo_id, pack)}{index:06d}"


def keyring_name(repo_id: int) -> str:
    return f"r/{repo_id}/keyring"


def open_store(cfg: ServerConfig) -> SqlStore:
    if cfg.database_url:
        from .postgres import PostgresStore
        return PostgresStore(cfg.database_url, schema=cfg.database_schema)
    from .sqlite import SqliteStore
    os.makedirs(cfg.data_dir, exist_ok=True)
    return SqliteStore(os.path.join(cfg.data_dir, "meta.sqlite3"))


def open_backend(cfg: ServerConfig) -> Backend:
    if cfg.s3_bucket:
        from ldv.plumbing.backends.s3 import S3Backend
        backend = S3Backend(cfg.s3_bucket, cfg.s3_prefix, endpoint_url=cfg.s3_endpoint)
        backend.ensure_bucket()
        return backend
    return LocalBackend(os.path.join(cfg.data_dir, "objects"))


def open_services(cfg: ServerConfig, *, migrate: bool = True) -> Services:
    """Open (and by default migrate) the backends ``cfg`` names."""
    store = open_store(cfg)
    if migrate:
        store.migrate()
    return Services(store=store, backend=open_backend(cfg), limits=cfg.limits)
