"""Fixtures for CLI tests: an isolated config dir, a fixed identity, a runner."""
from __future__ import annotations

import os
from pathlib import Path

import pytest
from click.testing import CliRunner

from ldv.cli.main import cli

IDENTITY = {"LDV_AUTHOR_NAME": "Ada Tester", "LDV_AUTHOR_EMAIL": "ada@example.org"}


class Ldv:
    """Runs ldv commands in one folder through click's CliRunner."""

    def __init__(self, root: Path, env: dict):
        self.root = root
        self.env = env
        self.runner = CliRunner(env=env)

    def __call__(self, *args, code: int | None = 0, input=None, cwd: Path | None = None):
        result = self.runner.invoke(cli, ["-C", str(cwd or self.root), *map(str, args)],
                                    input=input, catch_exceptions=False)
        if code is not None:
            assert result.exit_code == code, (args, result.exit_code, result.output,
                                              result.stderr)
        return result

    def write(self, rel: str, data: bytes | str) -> Path:
        p = self.root / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_bytes(data.encode() if isinstance(data, str) else data)
        return p


@pytest.fixture
def env(tmp_path):
    e = {"XDG_CONFIG_HOME": str(tmp_path / "config"), "LDV_MASTER_KEY": None,
         "LDV_PASSPHRASE": None, "LDV_DEBUG": None, **IDENTITY}
    return e


@pytest.fixture
def ldv(tmp_path, env):
    root = tmp_path / "ds"
    root.mkdir()
    return Ldv(root, env)


@pytest.fixture
def repo(ldv):
    """An initialized repository with one commit of two files."""
    ldv("init", "-q")
    ldv.write("a.txt", "alpha\nbeta\n")
    ldv.write("data/rows.jsonl", '{"id": 1}\n{"id": 2}\n')
    ldv("add", ".")
    ldv("commit", "-q", "-m", "first")
    return ldv


def subprocess_env(env: dict) -> dict:
    out = {k: v for k, v in os.environ.items() if k not in env}
    out.update({k: v for k, v in env.items() if v is not None})
    return out
