"""Codec.decode_chain: a delta chain decoded in one call equals link-by-link decoding."""
from __future__ import annotations

import random

import pytest

from ldv.plumbing.delta import REPACK_DELTA_LEVEL, Codec, Encoding
from ldv.plumbing.errors import CorruptObject

from tests.plumbing.store_builders import text


def _chain(codec: Codec, n: int, seed: int = 1, first: bytes | None = None):
    """(versions oldest last, links bottom-up): the newest full, each older a
    delta against the next newer, as gc writes them."""
    rng = random.Random(seed)
    data = first if first is not None else text(rng, 200_000)
    versions = [data]
    for i in range(n - 1):
        pos = rng.randrange(len(data) - 8)
        data = data[:pos] + b"edit%04d" % i + data[pos + 8:]
        versions.append(data)
    links = [codec.encode(versions[0])]
    for newer, older in zip(versions, versions[1:]):
        links.append((Encoding.DELTA, codec.encode_delta(newer, older)))
    return versions, links


@pytest.mark.parametrize("depth", [1, 2, 6])
def test_decode_chain_equals_decoding_each_link(depth):
    codec = Codec(1, REPACK_DELTA_LEVEL)
    versions, links = _chain(codec, depth)
    assert links[0][0] == Encoding.ZSTD
    for k in range(1, depth + 1):
        assert codec.decode_chain(links[:k]) == versions[k - 1]


def test_a_raw_bottom_or_a_cached_base_decodes_link_by_link():
    codec = Codec(1)
    noise = random.Random(3).randbytes(100_000)          # does not compress: RAW
    versions, links = _chain(codec, 4, first=noise)
    assert links[0][0] == Encoding.RAW
    assert codec.decode_chain(links) == versions[-1]
    assert codec.decode_chain(links[2:], versions[1]) == versions[-1]


def test_a_damaged_link_is_corrupt_not_garbage():
    codec = Codec(1)
    versions, links = _chain(codec, 4)
    enc, body = links[2]
    links[2] = (enc, body[:len(body) // 2])
    with pytest.raises(CorruptObject):
        codec.decode_chain(links)
