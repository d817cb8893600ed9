"""Sealed ref values: a remote cannot roll a branch back or point it elsewhere unseen.

The client seals (target commit id, counter) with AES-256-GCM under the keyring's
ref key, with the ref's name in the associated data, and the server stores the
sealed bytes beside the plain target it needs for fast-forward checks.  A reader
opens the seal, checks that it names the same target for the same ref, and that
its counter is not below the highest counter it has seen for that ref: a replayed
old value (rollback), a value moved from another ref (redirect) or a forged one
all fail with RefRollback.

Layout: version byte (1) || 12-byte random nonce || GCM(target 32 bytes || counter u64 BE).
"""
from __future__ import annotations

import os
import struct
from dataclasses import dataclass

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from .errors import RefRollback

VERSION = 1
_AAD = b"ldv-ref-seal-v1\0"
SEALED_LEN = 1 + 12 + 32 + 8 + 16


@dataclass(frozen=True)
class SealedRef:
    target: bytes
    counter: int


def _aead(ref_key: bytes) -> AESGCM:
    if len(ref_key) != 32:
        raise ValueError("the ref key must be 32 bytes")
    return AESGCM(bytes(ref_key))


def seal(ref_key: bytes, name: str, target: bytes, counter: int) -> bytes:
    """Seal ``target`` (a 32-byte commit id) as the value of ref ``name`` at ``counter``."""
    if len(target) != 32 or not 0 <= counter < 2 ** 64:
        raise ValueError("target must be a 32-byte id and counter a u64")
    nonce = os.urandom(12)
    body = _aead(ref_key).encrypt(nonce, target + struct.pack(">Q", counter),
                                  _AAD + name.encode())
    return bytes((VERSION,)) + nonce + body


def unseal(ref_key: bytes, name: str, sealed: bytes) -> SealedRef:
    """Open a sealed value of ref ``name``; RefRollback if it is not one."""
    if len(sealed) != SEALED_LEN or sealed[0] != VERSION:
        raise RefRollback(f"the remote's value of {name} is not a sealed ref",
                          hint="the server may have been tampered with; tell its admin")
    try:
        plain = _aead(ref_key).decrypt(sealed[1:13], sealed[13:], _AAD + name.encode())
    except InvalidTag:
        raise RefRollback(f"the remote's value of {name} was not sealed for that ref "
                          "with this repository's key",
                          hint="the ref was redirected or forged on the server") from None
    return SealedRef(plain[:32], struct.unpack(">Q", plain[32:])[0])


def verify(ref_key: bytes, name: str, target: bytes, sealed: bytes,
           last_counter: int = 0) -> int:
    """Check a remote ref against its seal and the newest counter seen; return its counter."""
    value = unseal(ref_key, name, sealed)
    if value.target != target:
        raise RefRollback(f"the remote says {name} is {target.hex()[:12]} but its seal says "
                          f"{value.target.hex()[:12]}",
                          hint="the server changed the ref by hand; tell its admin")
    if value.counter < last_counter:
        raise RefRollback(f"the remote's {name} is older (update {value.counter}) than one "
                          f"this clone has seen (update {last_counter})",
                          hint="the server rolled the branch back; do not push over it, "
                               "tell its admin")
    return value.counter
