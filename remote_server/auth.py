"""Bearer-token authentication, role checks and the per-token rate limit.

A token is bound to one repository with one role (read < write < admin).  Tokens
are looked up by their SHA-256 and cached for a few seconds so that ref reads do
not cost a database round trip each; revocation takes effect within that time.
Every denied request is written to the audit log.
"""
from __future__ import annotations

import asyncio
import threading
import time

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request

from .errors import Forbidden, RateLimited, ServerError, Unauthorized
from .services import Services
from .store import Token, hash_token


class TokenCache:
    def __init__(self, ttl: float):
        self.ttl = ttl
        self._items: dict[str, tuple[float, Token]] = {}
        self._lock = threading.Lock()
        self._loading: dict[str, asyncio.Future] = {}   # one lookup per token at a time

    async def load(self, key: str, lookup) -> Token:
        """The cached token, or the result of ``lookup()`` -- run once however many
        requests miss at the same moment (when an entry expires under load, 32
        clients would otherwise send 32 queries through the thread pool at once)."""
        token = self.get(key)
        if token is not None:
            return token
        job = self._loading.get(key)
        if job is None:
            job = self._loading[key] = asyncio.ensure_future(lookup())
            job.add_done_callback(lambda _f: self._loading.pop(key, None))
        token = await asyncio.shield(job)
        self.put(key, token)
        return token

    def get(self, key: str) -> Token | None:
        with self._lock:
            hit = self._items.get(key)
        if hit and time.monotonic() - hit[0] < self.ttl:
            return hit[1]
        return None

    def put(self, key: str, token: Token) -> None:
        with self._lock:
            if len(self._items) > 100_000:
                self._items.clear()
            self._items[key] = (time.monotonic(), token)


def actor_of(token: Token) -> str:
    return f"{token.user or 'token'}#{token.id}"


def remote_addr(request: Request) -> str:
    return request.client.host if request.client else ""


async def authorize(request: Request, svc: Services, cache: TokenCache, repo: str,
                    role: str, action: str) -> Token:
    """The request's token if it may do ``action`` (needing ``role``) on ``repo``."""
    raw = request.headers.get("authorization", "")
    scheme, _, secret = raw.partition(" ")
    token = None
    try:
        if scheme.lower() != "bearer" or not secret.strip():
            raise Unauthorized("no bearer token in the request",
                               hint="set LDV_TOKEN or run `ldv login URL`")
        token = await _lookup(svc, cache, secret.strip())
        if token.repo != repo:
            raise Forbidden(f"this token is not for repository {repo!r}",
                            hint="use a token created with --repo " + repo)
        if not token.allows(role):
            raise Forbidden(f"{action} needs the {role} role; this token has {token.role}",
                            hint="ask an admin for a token with that role")
        wait = svc.limiter.allow(token.id)
        if wait:
            raise RateLimited(f"too many requests for this token; retry in {wait:.2f}s",
                              hint="slow down or use fewer parallel clients")
        return token
    except ServerError as e:
        who = actor_of(token) if token else "?"
        await run_in_threadpool(svc.store.audit, repo, who, action, request.url.path,
                                allowed=False, detail=f"{e.status} {e.code}",
                                remote=remote_addr(request))
        raise


async def _lookup(svc: Services, cache: TokenCache, secret: str) -> Token:
    return await cache.load(hash_token(secret),
                            lambda: run_in_threadpool(svc.store.authenticate, secret))
