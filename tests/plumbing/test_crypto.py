"""crypto.py: sealing and pack ciphers round-trip and reject any tampering."""
from __future__ import annotations

import pytest
from hypothesis import given, settings, strategies as st

from ldv.plumbing import crypto

KEY = bytes(range(32))


@settings(max_examples=50, deadline=None)
@given(st.binary(max_size=4096), st.binary(max_size=64))
def test_seal_round_trip(data, aad):
    assert crypto.unseal(KEY, crypto.seal(KEY, data, aad), aad) == data


@settings(max_examples=50, deadline=None)
@given(st.binary(min_size=1, max_size=512), st.data())
def test_seal_detects_any_flipped_bit(data, draw):
    sealed = bytearray(crypto.seal(KEY, data, b"aad"))
    i = draw.draw(st.integers(0, len(sealed) - 1))
    sealed[i] ^= 1 << draw.draw(st.integers(0, 7))
    with pytest.raises(crypto.DecryptError):
        crypto.unseal(KEY, bytes(sealed), b"aad")


def test_seal_binds_key_and_aad():
    sealed = crypto.seal(KEY, b"secret", b"a")
    with pytest.raises(crypto.DecryptError):
        crypto.unseal(KEY, sealed, b"b")
    with pytest.raises(crypto.DecryptError):
        crypto.unseal(bytes(32), sealed, b"a")
    with pytest.raises(crypto.DecryptError):
        crypto.unseal(KEY, sealed[:10], b"a")


def test_seal_uses_fresh_nonces():
    assert crypto.seal(KEY, b"same") != crypto.seal(KEY, b"same")


@settings(max_examples=30, deadline=None)
@given(st.binary(max_size=2048), st.integers(0, 2 ** 40), st.binary(min_size=16, max_size=16))
def test_pack_cipher_round_trip_and_counter_binding(data, counter, salt):
    c = crypto.PackCipher(KEY, salt)
    ct = c.encrypt(counter, data, b"id")
    assert crypto.PackCipher(KEY, salt).decrypt(counter, ct, b"id") == data
    with pytest.raises(crypto.DecryptError):
        c.decrypt(counter + 1, ct, b"id")


def test_pack_keys_differ_per_salt():
    a = crypto.PackCipher(KEY, bytes(16)).encrypt(0, b"x" * 32, b"")
    b = crypto.PackCipher(KEY, bytes(15) + b"\x01").encrypt(0, b"x" * 32, b"")
    assert a != b


def test_scrypt_fast_profile_is_deterministic():
    p = crypto.KDF_PROFILES["fast"]
    k1 = crypto.scrypt("pw", b"s" * 16, p["n"], p["r"], p["p"])
    assert k1 == crypto.scrypt("pw", b"s" * 16, p["n"], p["r"], p["p"])
    assert k1 != crypto.scrypt("pw2", b"s" * 16, p["n"], p["r"], p["p"])
    assert len(k1) == 32


def test_fast_imports_are_the_public_classes():
    """crypto.py takes AESGCM and HKDF from cryptography's Rust binding to keep
    start-up lean; they must be exactly what the public modules export."""
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM
    from cryptography.hazmat.primitives.kdf.hkdf import HKDF
    assert crypto.AESGCM is AESGCM
    assert crypto.HKDF is HKDF
