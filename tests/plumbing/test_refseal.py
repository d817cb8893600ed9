"""Sealed refs: round trip, and every way a server could lie is caught."""
from __future__ import annotations

import os

import pytest
from hypothesis import given, settings, strategies as st

from ldv.plumbing.errors import RefRollback
from ldv.plumbing.refseal import seal, unseal, verify

KEY = bytes(range(32))


@settings(max_examples=40, deadline=None)
@given(name=st.text(min_size=1, max_size=60), target=st.binary(min_size=32, max_size=32),
       counter=st.integers(0, 2 ** 64 - 1))
def test_round_trip(name, target, counter):
    value = unseal(KEY, name, seal(KEY, name, target, counter))
    assert (value.target, value.counter) == (target, counter)
    assert verify(KEY, name, target, seal(KEY, name, target, counter), counter) == counter


def test_rollback_is_detected():
    t1, t2 = os.urandom(32), os.urandom(32)
    old, new = seal(KEY, "refs/heads/main", t1, 1), seal(KEY, "refs/heads/main", t2, 2)
    assert verify(KEY, "refs/heads/main", t2, new, 1) == 2
    with pytest.raises(RefRollback, match="older"):
        verify(KEY, "refs/heads/main", t1, old, last_counter=2)


def test_redirect_to_another_ref_is_detected():
    t = os.urandom(32)
    with pytest.raises(RefRollback, match="redirected"):
        verify(KEY, "refs/heads/main", t, seal(KEY, "refs/heads/dev", t, 5))


def test_target_swapped_beside_seal_is_detected():
    with pytest.raises(RefRollback, match="seal says"):
        verify(KEY, "refs/heads/main", os.urandom(32), seal(KEY, "refs/heads/main",
                                                             os.urandom(32), 1))


@pytest.mark.parametrize("mangle", [lambda b: b[:-1], lambda b: b"\x02" + b[1:],
                                    lambda b: b[:20] + bytes([b[20] ^ 1]) + b[21:],
                                    lambda b: b""])
def test_forged_or_damaged_seals_fail(mangle):
    sealed = seal(KEY, "refs/tags/v1", os.urandom(32), 3)
    with pytest.raises(RefRollback):
        unseal(KEY, "refs/tags/v1", mangle(sealed))


def test_wrong_key_fails():
    sealed = seal(KEY, "refs/heads/main", os.urandom(32), 3)
    with pytest.raises(RefRollback):
        unseal(os.urandom(32), "refs/heads/main", sealed)
