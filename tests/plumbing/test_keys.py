"""keys.py: master keys, key files and the sealed keyring."""
from __future__ import annotations

import stat

import pytest

from ldv.plumbing.errors import BadInput, IntegrityError, MissingKey, WrongKey
from ldv.plumbing.keys import (Keyring, MasterKey, default_key_file, keyring_params,
                               read_key_file,
                               unwrap_keyring, wrap_keyring, write_key_file)


def test_master_key_hex_round_trip():
    k = MasterKey.generate()
    assert MasterKey.from_hex(k.hex()) == k
    assert MasterKey.from_hex(k.hex().upper() + "\n") == k


@pytest.mark.parametrize("text", ["", "abc", "zz" * 32, "00" * 31, "00" * 33])
def test_malformed_hex_is_bad_input(text):
    with pytest.raises(BadInput):
        MasterKey.from_hex(text)


def test_key_file_is_private_and_atomic(tmp_path):
    path = default_key_file(tmp_path, "abcd")
    assert path == tmp_path / "keys" / "abcd.key"
    k = MasterKey.generate()
    write_key_file(path, k)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert read_key_file(path) == k
    write_key_file(path, k)           # same key again: fine
    with pytest.raises(BadInput, match="different key"):
        write_key_file(path, MasterKey.generate())
    assert read_key_file(path) == k


def test_missing_key_file_has_a_hint(tmp_path):
    with pytest.raises(MissingKey) as e:
        read_key_file(tmp_path / "none.key")
    assert e.value.hint


def test_garbage_key_file_is_bad_input(tmp_path):
    path = tmp_path / "k"
    path.write_text("not a key")
    with pytest.raises(BadInput):
        read_key_file(path)


def test_keyring_wrap_unwrap_with_raw_key_and_passphrase():
    ring = Keyring.generate()
    m = MasterKey.generate()
    assert unwrap_keyring(wrap_keyring(ring, m), m) == ring
    p = MasterKey.from_passphrase("pw")
    assert unwrap_keyring(wrap_keyring(ring, p, "fast"), MasterKey.from_passphrase("pw")) == ring


def test_keyring_rejects_wrong_keys_and_kinds():
    ring = Keyring.generate()
    raw = wrap_keyring(ring, MasterKey.generate())
    with pytest.raises(WrongKey, match="does not open"):
        unwrap_keyring(raw, MasterKey.generate())
    with pytest.raises(WrongKey):
        unwrap_keyring(raw, MasterKey.from_passphrase("pw"))
    pw = wrap_keyring(ring, MasterKey.from_passphrase("pw"), "fast")
    with pytest.raises(WrongKey):
        unwrap_keyring(pw, MasterKey.from_passphrase("other"))


def test_keyring_tampering_and_garbage():
    m = MasterKey.generate()
    raw = bytearray(wrap_keyring(Keyring.generate(), m))
    raw[-3] ^= 4
    with pytest.raises(WrongKey):
        unwrap_keyring(bytes(raw), m)
    with pytest.raises(IntegrityError):
        unwrap_keyring(b"not a keyring at all", m)


def test_rotation_adds_keys_with_distinct_ids():
    ring = Keyring.generate()
    first = ring.current_key_id
    ids = {first} | {ring.rotate_data_key() for _ in range(5)}
    assert len(ids) == 6 == len(ring.data_keys)
    assert ring.data_key == ring.data_keys[ring.current_key_id]
    assert len({ring.id_key, ring.ref_key, ring.seal_key, *ring.data_keys.values()}) == 9


def test_production_passphrase_profile_is_scrypt_2_17():
    import json
    import struct
    from ldv.plumbing.keys import KEYRING_MAGIC
    ring = Keyring.generate()
    raw = wrap_keyring(ring, MasterKey.from_passphrase("pw"), "scrypt")
    (n,) = struct.unpack_from(">I", raw, len(KEYRING_MAGIC))
    params = json.loads(raw[len(KEYRING_MAGIC) + 4:len(KEYRING_MAGIC) + 4 + n])
    assert params["kdf"] == "scrypt" and params["n"] == 2 ** 17 and len(params["salt"]) == 32
    assert unwrap_keyring(raw, MasterKey.from_passphrase("pw")) == ring


def test_unknown_kdf_profile_is_bad_input():
    with pytest.raises(BadInput):
        wrap_keyring(Keyring.generate(), MasterKey.from_passphrase("pw"), "md5")


def test_argon2id_profile():
    ring = Keyring.generate()
    raw = wrap_keyring(ring, MasterKey.from_passphrase("pw"), "argon2id")
    assert keyring_params(raw)["kdf"] == "argon2id"
    assert unwrap_keyring(raw, MasterKey.from_passphrase("pw")) == ring
