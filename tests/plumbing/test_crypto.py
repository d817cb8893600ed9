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


def test_fast_import_is_the_public_class():
    """crypto.py takes AESGCM from cryptography's Rust binding to keep start-up
    lean; it must be exactly what the public module exports."""
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM
    assert crypto.AESGCM is AESGCM


def test_hkdf_matches_rfc5869_test_case_1():
    okm = crypto.hkdf(bytes([0x0b]) * 22, bytes(range(13)), bytes(range(0xf0, 0xfa)), 42)
    assert okm.hex() == ("3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf"
                         "34007208d5b887185865")


def test_hkdf_matches_rfc5869_test_case_3_empty_salt_and_info():
    okm = crypto.hkdf(bytes([0x0b]) * 22, b"", b"", 42)
    assert okm.hex() == ("8da4e775a563c18f715f802a063c5a31b8a11f5c5ee1879ec3454e5f3c738d2d"
                         "9d201395faa4b61a96c8")


@settings(max_examples=100, deadline=None)
@given(st.binary(min_size=1, max_size=80), st.binary(max_size=40), st.binary(max_size=40),
       st.integers(1, 200))
def test_hkdf_equals_cryptography_hkdf(key, salt, info, length):
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.kdf.hkdf import HKDF
    expected = HKDF(algorithm=hashes.SHA256(), length=length, salt=salt or None,
                    info=info).derive(key)
    assert crypto.hkdf(key, salt, info, length) == expected
