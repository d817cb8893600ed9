from __future__ import annotations

import stat

from ldv.plumbing.keys import MasterKey


def _key_files(env):
    from pathlib import Path
    d = Path(env["XDG_CONFIG_HOME"]) / "ldv" / "keys"
    return sorted(d.glob("*.key")) if d.exists() else []


def test_init_writes_key_file_0600_and_says_where(ldv, env):
    r = ldv("init")
    files = _key_files(env)
    assert len(files) == 1
    assert stat.S_IMODE(files[0].stat().st_mode) == 0o600
    assert str(files[0]) in r.output and "Back it up" in r.output
    assert (ldv.root / ".ldv" / "repo").is_file()
    MasterKey.from_hex(files[0].read_text().strip())       # holds a real key
    ldv("status")                                           # and that key opens it


def test_init_with_env_key_writes_no_file(ldv, env):
    key = MasterKey.generate().hex()
    ldv.runner.env["LDV_MASTER_KEY"] = key
    r = ldv("init", "sub")
    assert "LDV_MASTER_KEY" in r.output and _key_files(env) == []
    ldv("status", cwd=ldv.root / "sub")
    ldv.runner.env["LDV_MASTER_KEY"] = MasterKey.generate().hex()
    bad = ldv("status", cwd=ldv.root / "sub", code=5)
    assert bad.stderr.count("\n") == 1 and bad.stderr.startswith("error: ")
    assert "Traceback" not in bad.output + bad.stderr


def test_missing_key_is_exit_5_with_hint(ldv, env):
    ldv("init", "-q")
    for f in _key_files(env):
        f.unlink()
    r = ldv("log", code=5)
    assert "hint:" in r.stderr and r.stderr.count("\n") == 1


def test_malformed_env_key(ldv):
    ldv("init", "-q")
    ldv.runner.env["LDV_MASTER_KEY"] = "not-hex"
    r = ldv("status", code=5)
    assert "64 hex" in r.stderr


def test_init_twice_is_a_repository_error(ldv, env):
    ldv("init", "-q")
    keys = _key_files(env)
    r = ldv("init", code=3)
    assert "already" in r.stderr
    assert _key_files(env) == keys            # the failed init left no stray key file
    ldv("status")                              # and the first key still opens it
