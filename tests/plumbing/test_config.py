"""config.py: get/set/unset/items, sealed on disk."""
from __future__ import annotations

import os

import pytest

from ldv.plumbing.config import Config
from ldv.plumbing.errors import CorruptObject


def test_set_get_unset_items(tmp_path):
    cfg = Config(tmp_path / "config", os.urandom(32))
    assert cfg.get("user.name") is None and cfg.get("x", "d") == "d"
    cfg.set("user.name", "Ada")
    cfg.set("remote.origin.url", "https://h/r")
    cfg.set("remote.up.url", "https://u")
    assert cfg.get("user.name") == "Ada"
    assert cfg.items("remote.") == [("remote.origin.url", "https://h/r"),
                                    ("remote.up.url", "https://u")]
    assert cfg.unset("user.name") and not cfg.unset("user.name")
    assert cfg.get("user.name") is None


def test_values_are_sealed_and_checked(tmp_path):
    key = os.urandom(32)
    Config(tmp_path / "config", key).set("remote.origin.url", "/secret/path")
    raw = (tmp_path / "config").read_bytes()
    assert b"/secret/path" not in raw
    with pytest.raises(CorruptObject):
        Config(tmp_path / "config", os.urandom(32)).get("remote.origin.url")
