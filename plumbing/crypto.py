"""Symmetric primitives: HKDF, scrypt, AES-256-GCM sealing and pack ciphers.

Glossary:
  seal      AES-256-GCM with a random 96-bit nonce, for small files (keyring,
            config, the work-tree index, reflog records): nonce || ciphertext+tag.
  pack key  HKDF-SHA256(data key, pack salt); each pack has its own, so counter
            nonces (entry number) never repeat under one key.
"""
from __future__ import annotations

import hmac
import os

try:
    # The Rust class that cryptography's public module re-exports (since 42).
    # Importing it from the binding skips ~5 ms of Python cipher-mode and
    # exception modules that every `ldv status` would otherwise pay;
    # tests/plumbing/test_crypto.py checks it is the public class.
    from cryptography.hazmat.bindings._rust import openssl as _rust_openssl
    AESGCM = _rust_openssl.aead.AESGCM
except (ImportError, AttributeError):        # an older cryptography
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

KEY_LEN = 32
NONCE_LEN = 12
TAG_LEN = 16
SALT_LEN = 16

# Passphrase KDF profiles.  "scrypt" (N=2^17, 128 MiB, ~0.5 s) is the default;
# "argon2id" follows RFC 9106's second recommendation (t=3, p=4, 64 MiB); "fast"
# exists for tests and must never protect real data.
KDF_PROFILES = {
    "scrypt": {"kdf": "scrypt", "n": 2 ** 17, "r": 8, "p": 1},
    "argon2id": {"kdf": "argon2id", "t": 3, "p": 4, "m": 65536},
    "fast": {"kdf": "scrypt", "n": 2 ** 4, "r": 8, "p": 1},
}


class DecryptError(Exception):
    """Authentication failed; callers translate it into a typed LdvError."""


def random_bytes(n: int) -> bytes:
    return os.urandom(n)


def _invalid_tag():
    """cryptography's InvalidTag, imported only when a decryption has failed."""
    from cryptography.exceptions import InvalidTag
    return InvalidTag


def hkdf(key: bytes, salt: bytes, info: bytes, length: int = KEY_LEN) -> bytes:
    """HKDF-SHA256 (RFC 5869) over the standard library's HMAC (OpenSSL).

    cryptography's HKDF needs its `hashes` module, which imports `typing`: ~6 ms
    of every command's start-up.  The test suite checks this function against
    cryptography's HKDF and RFC 5869's test vectors.
    """
    if not 0 < length <= 255 * 32:
        raise ValueError("HKDF-SHA256 output length must be 1..8160 bytes")
    prk = hmac.digest(salt or bytes(32), key, "sha256")             # extract
    okm, block, counter = b"", b"", 1
    while len(okm) < length:                                         # expand
        block = hmac.digest(prk, block + info + bytes((counter,)), "sha256")
        okm += block
        counter += 1
    return okm[:length]


def scrypt(passphrase: str, salt: bytes, n: int, r: int, p: int) -> bytes:
    from cryptography.hazmat.primitives.kdf.scrypt import Scrypt
    return Scrypt(salt=salt, length=KEY_LEN, n=n, r=r, p=p).derive(
        passphrase.encode("utf-8"))


def argon2id(passphrase: str, salt: bytes, t: int, p: int, m: int) -> bytes:
    from cryptography.hazmat.primitives.kdf.argon2 import Argon2id
    return Argon2id(salt=salt, length=KEY_LEN, iterations=t, lanes=p,
                    memory_cost=m).derive(passphrase.encode("utf-8"))


def passphrase_kek(passphrase: str, params: dict) -> bytes:
    """The KEK of a passphrase under a keyring header's parameters."""
    salt = bytes.fromhex(params["salt"])
    if params["kdf"] == "scrypt":
        return scrypt(passphrase, salt, params["n"], params["r"], params["p"])
    if params["kdf"] == "argon2id":
        return argon2id(passphrase, salt, params["t"], params["p"], params["m"])
    raise ValueError(f"unknown KDF {params['kdf']!r}")


def seal(key: bytes, plaintext: bytes, aad: bytes = b"") -> bytes:
    """Encrypt with a random nonce; returns nonce || ciphertext || tag."""
    nonce = os.urandom(NONCE_LEN)
    return nonce + AESGCM(key).encrypt(nonce, plaintext, aad)


def unseal(key: bytes, sealed: bytes, aad: bytes = b"") -> bytes:
    """Inverse of :func:`seal`; DecryptError when the key, aad or bytes are wrong."""
    if len(sealed) < NONCE_LEN + TAG_LEN:
        raise DecryptError("sealed data is too short")
    sealed = memoryview(sealed)           # no copy of a 5 MB index for the slice
    try:
        return AESGCM(key).decrypt(sealed[:NONCE_LEN], sealed[NONCE_LEN:], aad)
    except _invalid_tag():
        raise DecryptError("authentication failed") from None


def counter_nonce(counter: int) -> bytes:
    return counter.to_bytes(NONCE_LEN, "big")


class PackCipher:
    """AES-256-GCM under one pack's key with counter nonces."""

    __slots__ = ("_aead",)

    def __init__(self, data_key: bytes, salt: bytes):
        self._aead = AESGCM(hkdf(data_key, salt, b"ldv pack key v1"))

    def encrypt(self, counter: int, plaintext, aad: bytes) -> bytes:
        return self._aead.encrypt(counter_nonce(counter), plaintext, aad)

    def decrypt(self, counter: int, ciphertext, aad: bytes) -> bytes:
        try:
            return self._aead.decrypt(counter_nonce(counter), ciphertext, aad)
        except _invalid_tag():
            raise DecryptError("authentication failed") from None
