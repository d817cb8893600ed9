"""Server settings: one dataclass, filled from CLI options and LDV_SERVER_* variables.

Embedded default: objects and SQLite in ``data_dir``.  Production: ``s3_bucket``
(+ endpoint) for objects, ``database_url`` (postgresql://...) for metadata.
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field, fields

ENV_PREFIX = "LDV_SERVER_"


@dataclass
class Limits:
    """Request limits; every one has a stable error code when exceeded."""

    max_json_bytes: int = 32 << 20      # entries of a 64 MiB pack fit easily
    max_part_bytes: int = 64 << 20
    max_ids_per_request: int = 20_000
    rate_per_token: float = 500.0       # requests per second, sustained
    burst_per_token: int = 1000
    body_timeout_s: float = 300.0       # to receive one request body
    token_cache_s: float = 5.0          # revocation takes effect within this


@dataclass
class ServerConfig:
    data_dir: str = "./ldv-server-data"
    host: str = "127.0.0.1"
    port: int = 8443
    tls_cert: str | None = None
    tls_key: str | None = None
    s3_endpoint: str | None = None
    s3_bucket: str | None = None
    s3_prefix: str = ""
    database_url: str | None = None
    database_schema: str | None = None
    workers: int = 1
    limits: Limits = field(default_factory=Limits)

    @classmethod
    def from_env(cls, env=None, **overrides) -> "ServerConfig":
        """Settings from LDV_SERVER_<FIELD> variables, then non-None ``overrides``."""
        env = os.environ if env is None else env
        cfg = cls()
        for f in fields(cls):
            if f.name == "limits":
                continue
            raw = env.get(ENV_PREFIX + f.name.upper())
            if raw is not None:
                setattr(cfg, f.name, int(raw) if f.type in ("int", int) else raw)
        for f in fields(Limits):      # LDV_SERVER_LIMIT_RATE_PER_TOKEN=2000 etc.
            raw = env.get(f"{ENV_PREFIX}LIMIT_{f.name.upper()}")
            if raw is not None:
                setattr(cfg.limits, f.name, type(getattr(cfg.limits, f.name))(raw))
        for k, v in overrides.items():
            if v is not None:
                setattr(cfg, k, v)
        return cfg
