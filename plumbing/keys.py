"""The key hierarchy: master key -> key-encryption key (KEK) -> keyring.

Glossary:
  master key   32 random bytes in a key file outside the repository (0600), or a
               passphrase stretched with scrypt.  Never stored in the repository.
  KEK          HKDF(master, salt) for a raw key; scrypt(passphrase, salt) for a
               passphrase.  Salt and KDF parameters sit in the keyring file's
               plaintext header.
  keyring      random keys with random ids: the id key (never rotates: it would
               change every id), the chunker seed, the ref-sealing key, the file
               sealing key and the data keys.  Sealed under the KEK; an opaque file
               that can travel to a remote.
"""
from __future__ import annotations

import json
import os
import struct
from pathlib import Path

from . import crypto
from .errors import BadInput, IntegrityError, MissingKey, WrongKey
from .record import Record

KEYRING_MAGIC = b"LDVKEYR1"


class MasterKey:
    """A raw 32-byte master key."""

    __slots__ = ("key",)

    def __init__(self, key: bytes):
        if len(key) != crypto.KEY_LEN:
            raise BadInput("a master key must be 32 bytes",
                           hint="give 64 hex characters")
        self.key = bytes(key)

    @classmethod
    def generate(cls) -> "MasterKey":
        return cls(crypto.random_bytes(crypto.KEY_LEN))

    @classmethod
    def from_hex(cls, text: str) -> "MasterKey":
        text = text.strip()
        try:
            raw = bytes.fromhex(text)
        except ValueError:
            raw = b""
        if len(raw) != crypto.KEY_LEN or len(text) != 64:
            raise BadInput("the master key is not 64 hex characters",
                           hint="a master key is 32 bytes written as 64 hex characters")
        return cls(raw)

    @classmethod
    def from_passphrase(cls, passphrase: str) -> "PassphraseKey":
        return PassphraseKey(passphrase)

    def hex(self) -> str:
        return self.key.hex()

    def new_kdf_params(self, profile: str) -> dict:
        return {"kdf": "hkdf", "salt": crypto.random_bytes(crypto.SALT_LEN).hex()}

    def derive_kek(self, params: dict) -> bytes:
        if params.get("kdf") != "hkdf":
            raise WrongKey("this repository is protected by a passphrase, not a key file",
                           hint="open it with the passphrase")
        return crypto.hkdf(self.key, bytes.fromhex(params["salt"]), b"ldv kek v1")

    def __eq__(self, other) -> bool:
        return isinstance(other, MasterKey) and other.key == self.key

    def __hash__(self) -> int:
        return hash(self.key)

    def __repr__(self) -> str:
        return "MasterKey(<secret>)"


class PassphraseKey:
    """A passphrase; the KEK is scrypt(passphrase, salt) with the keyring's params."""

    __slots__ = ("passphrase",)

    def __init__(self, passphrase: str):
        if not passphrase:
            raise BadInput("the passphrase is empty", hint="choose a non-empty passphrase")
        self.passphrase = passphrase

    def new_kdf_params(self, profile: str) -> dict:
        if profile not in crypto.KDF_PROFILES:
            raise BadInput(f"unknown KDF profile {profile!r}",
                           hint=f"use one of {', '.join(crypto.KDF_PROFILES)}")
        return {**crypto.KDF_PROFILES[profile],
                "salt": crypto.random_bytes(crypto.SALT_LEN).hex()}

    def derive_kek(self, params: dict) -> bytes:
        if params.get("kdf") not in ("scrypt", "argon2id"):
            raise WrongKey("this repository is protected by a key file, not a passphrase",
                           hint="open it with its master key")
        return crypto.passphrase_kek(self.passphrase, params)

    def __repr__(self) -> str:
        return "PassphraseKey(<secret>)"


# -- key files ------------------------------------------------------------------

def default_key_file(config_dir: Path, repo_id: str) -> Path:
    return Path(config_dir) / "keys" / f"{repo_id}.key"


def write_key_file(path: Path, key: MasterKey) -> None:
    """Write ``key`` as hex, mode 0600, atomically; never replace a different key."""
    path = Path(path)
    if path.exists():
        if read_key_file(path) == key:
            return
        raise BadInput(f"key file {path} already holds a different key",
                       hint="move it away first; losing it loses the repository")
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        os.write(fd, (key.hex() + "\n").encode())
        os.fsync(fd)
    finally:
        os.close(fd)
    os.replace(tmp, path)


def read_key_file(path: Path) -> MasterKey:
    path = Path(path)
    try:
        text = path.read_text()
    except FileNotFoundError:
        raise MissingKey(f"no master key at {path}",
                         hint="copy the repository's key file there, or set "
                              "LDV_MASTER_KEY") from None
    try:
        return MasterKey.from_hex(text)
    except BadInput:
        raise BadInput(f"key file {path} does not hold a master key",
                       hint="a key file holds 64 hex characters") from None


# -- the keyring ----------------------------------------------------------------

class Keyring(Record):
    """The repository's random keys.  Data keys are addressed by a 32-bit id."""

    __slots__ = ("id_key", "chunker_seed", "ref_key", "seal_key", "data_keys",
                 "current_key_id")

    def __init__(self, id_key: bytes, chunker_seed: int, ref_key: bytes,
                 seal_key: bytes, data_keys: dict[int, bytes] | None = None,
                 current_key_id: int = 0):
        self.id_key = id_key
        self.chunker_seed = chunker_seed
        self.ref_key = ref_key
        self.seal_key = seal_key
        self.data_keys = {} if data_keys is None else data_keys
        self.current_key_id = current_key_id

    def __repr__(self) -> str:                 # never the keys themselves
        return f"Keyring(data key ids={sorted(self.data_keys)}, current={self.current_key_id})"

    @classmethod
    def generate(cls) -> "Keyring":
        ring = cls(id_key=crypto.random_bytes(32),
                   chunker_seed=int.from_bytes(crypto.random_bytes(8), "big"),
                   ref_key=crypto.random_bytes(32), seal_key=crypto.random_bytes(32))
        ring.rotate_data_key()
        return ring

    @property
    def data_key(self) -> bytes:
        return self.data_keys[self.current_key_id]

    def rotate_data_key(self) -> int:
        """Add a fresh data key and make it current; old keys stay for reading."""
        while True:
            key_id = int.from_bytes(crypto.random_bytes(4), "big")
            if key_id not in self.data_keys:
                break
        self.data_keys[key_id] = crypto.random_bytes(32)
        self.current_key_id = key_id
        return key_id

    def to_json(self) -> bytes:
        return json.dumps({
            "id_key": self.id_key.hex(), "chunker_seed": self.chunker_seed,
            "ref_key": self.ref_key.hex(), "seal_key": self.seal_key.hex(),
            "data_keys": {str(k): v.hex() for k, v in self.data_keys.items()},
            "current_key_id": self.current_key_id}, sort_keys=True).encode()

    @classmethod
    def from_json(cls, raw: bytes) -> "Keyring":
        d = json.loads(raw)
        return cls(id_key=bytes.fromhex(d["id_key"]), chunker_seed=d["chunker_seed"],
                   ref_key=bytes.fromhex(d["ref_key"]),
                   seal_key=bytes.fromhex(d["seal_key"]),
                   data_keys={int(k): bytes.fromhex(v) for k, v in d["data_keys"].items()},
                   current_key_id=d["current_key_id"])


def wrap_keyring(ring: Keyring, master, profile: str = "scrypt") -> bytes:
    """Serialize the keyring sealed under the master's KEK (the keyring file)."""
    params = master.new_kdf_params(profile)
    header = json.dumps(params, sort_keys=True).encode()
    prefix = KEYRING_MAGIC + struct.pack(">I", len(header)) + header
    return prefix + crypto.seal(master.derive_kek(params), ring.to_json(), prefix)


_DAMAGED_HINT = "restore .ldv/keyring from a clone or backup"


def _split(raw: bytes) -> tuple[dict, int]:
    """(KDF parameters, end of the plaintext prefix) of a keyring file."""
    if not raw.startswith(KEYRING_MAGIC) or len(raw) < len(KEYRING_MAGIC) + 4:
        raise IntegrityError("the keyring file is not an ldv keyring", hint=_DAMAGED_HINT)
    (hlen,) = struct.unpack_from(">I", raw, len(KEYRING_MAGIC))
    end = len(KEYRING_MAGIC) + 4 + hlen
    try:
        params = json.loads(raw[len(KEYRING_MAGIC) + 4:end])
    except ValueError:
        params = None
    if not isinstance(params, dict) or "kdf" not in params:
        raise IntegrityError("the keyring file's header is damaged", hint=_DAMAGED_HINT)
    return params, end


def keyring_params(raw: bytes) -> dict:
    """The plaintext KDF parameters of a keyring file (no key needed)."""
    return _split(raw)[0]


def unwrap_keyring(raw: bytes, master) -> Keyring:
    """Open a keyring file; WrongKey when ``master`` does not open it."""
    params, end = _split(raw)
    try:
        plain = crypto.unseal(master.derive_kek(params), raw[end:], raw[:end])
    except crypto.DecryptError:
        raise WrongKey("the master key does not open this repository",
                       hint="check the key file, LDV_MASTER_KEY or the passphrase") from None
    return Keyring.from_json(plain)
