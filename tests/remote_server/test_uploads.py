"""The on-arrival pack hash: any arrival order within reach gives the true hash;
anything doubtful gives None (and finish reads the parts back)."""
from __future__ import annotations

import os

import blake3
from hypothesis import given, settings, strategies as st

from ldv.remote_server.uploads import UploadHashes

PARTS = [os.urandom(n) for n in (100, 100, 100, 100, 37)]
WHOLE = b"".join(PARTS)


@settings(max_examples=60, deadline=None)
@given(order=st.permutations(range(len(PARTS))))
def test_out_of_order_arrival_hashes_in_order_or_gives_up(order):
    h = UploadHashes()
    for i in order:
        h.feed("k", i, PARTS[i])
    got = h.take("k", len(PARTS))
    assert got is None or got == (blake3.blake3(WHOLE).hexdigest(), len(WHOLE))
    if list(order) == sorted(order):
        assert got is not None


def test_a_part_sent_twice_forces_a_read_back():
    h = UploadHashes()
    for i in (0, 1, 1, 2, 3, 4):
        h.feed("k", i, PARTS[i])
    assert h.take("k", len(PARTS)) is None


def test_missing_part_or_wrong_count_gives_none():
    h = UploadHashes()
    for i in (0, 1, 3, 4):
        h.feed("k", i, PARTS[i])
    assert h.take("k", len(PARTS)) is None
    h.feed("j", 0, PARTS[0])
    assert h.take("j", 2) is None


def test_neighbour_swaps_still_hash_on_arrival():
    h = UploadHashes()
    for i in (1, 0, 3, 2, 4):
        h.feed("k", i, PARTS[i])
    assert h.take("k", len(PARTS)) == (blake3.blake3(WHOLE).hexdigest(), len(WHOLE))
