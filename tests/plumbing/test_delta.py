"""delta.py: every encoding returns the exact bytes; deltas only when they pay."""
from __future__ import annotations

import os

import pytest
from hypothesis import given, settings, strategies as st

from ldv.plumbing.delta import Codec, Encoding
from ldv.plumbing.errors import CorruptObject

CODEC = Codec()


@settings(max_examples=60, deadline=None)
@given(st.binary(max_size=20000))
def test_full_round_trip(data):
    enc, body = CODEC.encode(data)
    assert CODEC.decode(enc, body) == data
    assert len(body) <= max(len(data), 1) or enc == Encoding.RAW


@settings(max_examples=60, deadline=None)
@given(st.binary(min_size=1, max_size=8000), st.lists(
    st.tuples(st.integers(0, 7999), st.integers(0, 50), st.binary(max_size=50)), max_size=8))
def test_delta_round_trip(base, edits):
    data = base
    for pos, cut, ins in edits:
        pos = min(pos, len(data))
        data = data[:pos] + ins + data[pos + cut:]
    enc, body = CODEC.encode(data, base)
    assert CODEC.decode(enc, body, base if enc == Encoding.DELTA else None) == data


def test_small_edit_of_incompressible_data_is_a_tiny_delta():
    base = os.urandom(65536)
    data = base[:1000] + b"edit" + base[1004:]
    enc, body = CODEC.encode(data, base)
    assert enc == Encoding.DELTA and len(body) < 40


def test_unrelated_base_gives_a_full_encoding():
    enc, _ = CODEC.encode(os.urandom(4096), os.urandom(4096))
    assert enc == Encoding.RAW


def test_frames_are_lean():
    # magicless, no checksum, no dict id: an empty frame is a few bytes
    import zstandard as zstd
    base = os.urandom(3000)
    lean = CODEC.encode_delta(base, base)
    d = zstd.ZstdCompressionDict(base, dict_type=zstd.DICT_TYPE_RAWCONTENT)
    standard = zstd.ZstdCompressor(level=3, dict_data=d, write_checksum=True).compress(base)
    assert len(lean) <= len(standard) - 8


def test_garbage_is_corrupt_object():
    with pytest.raises(CorruptObject):
        CODEC.decode(Encoding.ZSTD, b"\xff" * 20)
    with pytest.raises(CorruptObject):
        CODEC.decode(Encoding.DELTA, b"\x00" * 20, None)
    with pytest.raises(CorruptObject):
        CODEC.decode(9, b"")
