"""The token cache: one lookup per token however many requests miss at once."""
from __future__ import annotations

import asyncio

import pytest

from ldv.remote_server.auth import TokenCache
from ldv.remote_server.errors import Unauthorized
from ldv.remote_server.store import Token


def run_concurrently(cache: TokenCache, lookup, n: int = 32):
    async def main():
        return await asyncio.gather(*(cache.load("k", lookup) for _ in range(n)),
                                    return_exceptions=True)
    return asyncio.run(main())


def test_concurrent_misses_share_one_lookup_then_hit_the_cache():
    calls = []
    token = Token(7, "ds", "read", "ana", 0, None)

    async def lookup():
        calls.append(1)
        await asyncio.sleep(0.01)       # the others arrive while this one runs
        return token
    cache = TokenCache(ttl=60)
    assert run_concurrently(cache, lookup) == [token] * 32 and len(calls) == 1
    assert run_concurrently(cache, lookup) == [token] * 32 and len(calls) == 1


def test_an_expired_entry_is_looked_up_again_and_failures_are_not_cached():
    calls = []

    async def refuse():
        calls.append(1)
        await asyncio.sleep(0.01)
        raise Unauthorized("unknown token")
    cache = TokenCache(ttl=0)
    results = run_concurrently(cache, refuse, 8)
    assert all(isinstance(r, Unauthorized) for r in results) and len(calls) == 1
    with pytest.raises(Unauthorized):
        asyncio.run(cache.load("k", refuse))
    assert len(calls) == 2
