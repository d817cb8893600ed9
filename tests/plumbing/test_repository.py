"""Repo: init/open/discover, sealed files, keys, locks, and no plaintext on disk."""
from __future__ import annotations

import pytest

from ldv.plumbing.errors import (BadInput, CorruptObject, MissingKey, NotARepository,
                                 RepositoryError, RepositoryLocked, WrongKey)
from ldv.plumbing.keys import MasterKey
from ldv.plumbing.odb import ObjType
from ldv.plumbing.repository import Repo


@pytest.fixture
def master():
    return MasterKey.generate()


@pytest.fixture
def repo(tmp_path, master):
    with Repo.init(tmp_path, master) as r:
        yield r


def test_init_then_open_reads_objects_refs_config(tmp_path, master):
    repo = Repo.init(tmp_path, master)
    oid = repo.odb.put(ObjType.CHUNK, b"payload " * 50)
    repo.refs.set("HEAD", oid, old=None, message="first")
    repo.config.set("user.name", "Ada")
    repo.close()
    again = Repo.open(tmp_path, master)
    assert again.repo_id == repo.repo_id
    assert again.odb.get(oid) == (ObjType.CHUNK, b"payload " * 50)
    assert again.refs.read("HEAD") == oid
    assert again.refs.read_symbolic("HEAD") == "refs/heads/main"
    assert again.config.get("user.name") == "Ada"
    assert again.keyring.id_key == repo.keyring.id_key


def test_init_twice_is_refused(repo, master):
    with pytest.raises(RepositoryError):
        Repo.init(repo.root, master)


def test_wrong_master_key_is_a_typed_error(repo):
    with pytest.raises(WrongKey, match="does not open"):
        Repo.open(repo.root, MasterKey.generate())


def test_passphrase_repo_opens_only_with_the_passphrase(tmp_path):
    Repo.init(tmp_path, MasterKey.from_passphrase("correct horse"), kdf="fast").close()
    assert Repo.open(tmp_path, MasterKey.from_passphrase("correct horse")).repo_id
    with pytest.raises(WrongKey):
        Repo.open(tmp_path, MasterKey.from_passphrase("wrong horse"))


def test_discover_walks_up_and_fails_outside(repo, tmp_path_factory):
    sub = repo.root / "a" / "b"
    sub.mkdir(parents=True)
    assert Repo.discover(sub) == repo.root.resolve()
    with pytest.raises(NotARepository):
        Repo.discover(tmp_path_factory.mktemp("elsewhere"))
    with pytest.raises(NotARepository):
        Repo.read_repo_id(sub)


def test_secrets_round_trip_and_detect_tampering(repo):
    assert repo.read_secret("index") is None
    repo.write_secret("index", b"stat cache")
    repo.write_secret("merge/state", b"merging")
    assert repo.read_secret("index") == b"stat cache"
    assert repo.read_secret("merge/state") == b"merging"
    path = repo.ldv_dir / "index"
    raw = bytearray(path.read_bytes())
    raw[-1] ^= 1
    path.write_bytes(bytes(raw))
    with pytest.raises(CorruptObject):
        repo.read_secret("index")


@pytest.mark.parametrize("name", ["", "../x", "refs/heads/x", "keyring", "a//b", ".hidden"])
def test_secret_names_are_checked(repo, name):
    with pytest.raises(BadInput):
        repo.write_secret(name, b"x")


def test_lock_names_the_holder(repo):
    with repo.lock():
        with pytest.raises(RepositoryLocked, match=r"pid \d+"):
            with repo.lock(timeout=0.05):
                pass
    with repo.lock():
        pass


def test_rotate_data_key_keeps_old_objects_readable(tmp_path, master):
    repo = Repo.init(tmp_path, master)
    old = repo.odb.put(ObjType.CHUNK, b"before rotation")
    repo.odb.flush()
    first = repo.keyring.current_key_id
    assert repo.rotate_data_key() != first
    new = repo.odb.put(ObjType.CHUNK, b"after rotation")
    repo.close()
    again = Repo.open(tmp_path, master)
    assert len(again.keyring.data_keys) == 2
    assert again.odb.get(old)[1] == b"before rotation"
    assert again.odb.get(new)[1] == b"after rotation"


def test_rewrap_changes_only_the_master(tmp_path, master):
    repo = Repo.init(tmp_path, master)
    oid = repo.odb.put(ObjType.TREE, b"tree bytes")
    repo.close()
    new_master = MasterKey.generate()
    repo.rewrap(new_master)
    with pytest.raises(WrongKey):
        Repo.open(tmp_path, master)
    assert Repo.open(tmp_path, new_master).odb.get(oid)[1] == b"tree bytes"


def test_clone_style_init_from_keyring_file(repo, master, tmp_path_factory):
    oid = repo.odb.hasher.oid(ObjType.CHUNK, b"x")
    dest = tmp_path_factory.mktemp("clone")
    clone = Repo.init(dest, master, keyring_file=repo.keyring_file(), repo_id=repo.repo_id)
    assert clone.repo_id == repo.repo_id
    assert clone.odb.hasher.oid(ObjType.CHUNK, b"x") == oid


def test_nothing_under_ldv_is_plaintext(repo):
    marker = b"UNIQUE-MARKER-7f3a"
    oid = repo.odb.put(ObjType.CHUNK, marker * 3)
    repo.odb.put(ObjType.COMMIT, b"message " + marker)
    repo.config.set("remote.origin.url", marker.decode())
    repo.write_secret("index", marker)
    repo.refs.set("refs/heads/main", oid, message=marker.decode())
    repo.close()
    for path in repo.ldv_dir.rglob("*"):
        if path.is_file():
            assert marker not in path.read_bytes(), path


def test_missing_keyring_is_a_typed_error(repo, master):
    (repo.ldv_dir / "keyring").unlink()
    with pytest.raises(MissingKey, match="keyring"):
        Repo.open(repo.root, master)


def test_merge_keyring_adopts_a_teammates_rotated_key(repo, master, tmp_path_factory):
    mate = Repo.init(tmp_path_factory.mktemp("mate"), master,
                     keyring_file=repo.keyring_file(), repo_id=repo.repo_id)
    mate.rotate_data_key()
    oid = mate.odb.put(ObjType.CHUNK, b"under the new key")
    mate.close()
    assert repo.merge_keyring(mate.keyring_file()) == 1
    assert repo.merge_keyring(mate.keyring_file()) == 0
    for name, _kind in mate.odb.index.pack_names():
        repo.odb.add_pack(name, mate.odb.backend.get(f"packs/{name[:2]}/{name}"))
    assert repo.odb.get(oid)[1] == b"under the new key"
    assert len(Repo.open(repo.root, master).keyring.data_keys) == 2
    stranger = Repo.init(tmp_path_factory.mktemp("other"), master)
    with pytest.raises(RepositoryError, match="another repository"):
        repo.merge_keyring(stranger.keyring_file())


def test_reflog_names_the_configured_user(repo):
    repo.config.set("user.name", "Ada")
    repo.config.set("user.email", "ada@example.org")
    oid = repo.odb.put(ObjType.COMMIT, b"c")
    repo.refs.set("HEAD", oid, message="commit")
    assert repo.refs.reflog("HEAD")[-1].who == "Ada <ada@example.org>"


def test_rotation_keeps_the_passphrase_profile(tmp_path):
    from ldv.plumbing.keys import keyring_params
    pw = MasterKey.from_passphrase("pw")
    repo = Repo.init(tmp_path, pw, kdf="fast")
    repo.rotate_data_key()
    assert keyring_params(repo.keyring_file())["n"] == 2 ** 4
    assert len(Repo.open(tmp_path, pw).keyring.data_keys) == 2
