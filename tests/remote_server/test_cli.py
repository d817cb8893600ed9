"""`ldv-server` commands, and `serve` as a real process pinned by its fingerprint."""
from __future__ import annotations

import os
import subprocess
import sys
import time

import pytest
from click.testing import CliRunner

from ldv.plumbing.errors import NetworkError
from ldv.plumbing.wire import RemoteClient
from ldv.remote_server.cli import cli

from .harness import free_port, random_pack


def run(*args, ok=True):
    result = CliRunner().invoke(cli, list(args), catch_exceptions=False)
    if ok:
        assert result.exit_code == 0, result.output
    return result


def test_repo_token_protect_audit(tmp_path):
    d = ["--data-dir", str(tmp_path)]
    run("migrate", *d)
    run("repo", "create", "ds", *d)
    assert run("repo", "list", *d).output.split() == ["ds"]
    out = run("token", "create", "--repo", "ds", "--role", "write", "--user", "ana", *d).output
    secret = out.split()[-1]
    assert secret.startswith("ldv_") and len(secret) > 40
    listing = run("token", "list", *d).output
    assert "ana" in listing and secret not in listing
    assert secret not in (tmp_path / "meta.sqlite3").read_bytes().decode("latin-1")
    run("protect", "main", "--repo", "ds", *d)
    run("token", "revoke", "1", *d)
    assert "revoked" in run("token", "list", *d).output
    log = run("audit", "--repo", "ds", *d).output
    assert "protect" in log and "token.create" in log
    run("repo", "delete", "ds", "--yes", *d)
    assert run("repo", "list", *d).output.split() == []


def test_token_revoke_is_in_the_repository_audit(tmp_path):
    d = ["--data-dir", str(tmp_path)]
    run("repo", "create", "ds", *d)
    run("token", "create", "--repo", "ds", "--role", "read", "--user", "bob", *d)
    run("token", "revoke", "1", *d)
    log = run("audit", "--repo", "ds", *d).output.splitlines()
    assert log[0].split("\t")[1:6] == ["ds", "admin-cli", "token.revoke", "#1", "allowed"]


def test_dash_h_is_help_as_in_ldv():
    assert "ldv-server: the encrypted remote" in run("-h").output
    assert "--repo" in run("token", "create", "-h").output


def test_errors_are_one_line_with_exit_codes(tmp_path):
    proc = subprocess.run([sys.executable, "-c", "from ldv.remote_server.cli import main; main()",
                           "token", "create", "--repo", "nope", "--role", "read",
                           "--data-dir", str(tmp_path)], capture_output=True, text=True,
                          timeout=60)
    assert proc.returncode == 3
    assert "no repository named 'nope'" in proc.stderr and "Traceback" not in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1


def test_serve_on_a_taken_port_is_one_line_and_exit_3(tmp_path):
    import socket
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        proc = subprocess.run([sys.executable, "-c",
                               "from ldv.remote_server.cli import main; main()", "serve",
                               "--port", str(port), "--data-dir", str(tmp_path)],
                              capture_output=True, text=True, timeout=60)
    assert proc.returncode == 3, proc.stderr
    line, = [ln for ln in proc.stderr.splitlines() if not ln.startswith("warning:")]
    assert line.startswith(f"ldv-server: error: cannot listen on 127.0.0.1:{port}")
    assert "--port" in line and "INFO" not in proc.stderr and "Traceback" not in proc.stderr


def test_init_tls_keeps_the_key_so_the_fingerprint_survives_renewal(tmp_path):
    first = run("init-tls", "--data-dir", str(tmp_path)).output
    cert1 = (tmp_path / "tls" / "cert.pem").read_bytes()
    second = run("init-tls", "--data-dir", str(tmp_path)).output
    assert first.splitlines()[-1] == second.splitlines()[-1]
    assert cert1 != (tmp_path / "tls" / "cert.pem").read_bytes()
    assert oct((tmp_path / "tls" / "key.pem").stat().st_mode & 0o777) == "0o600"


def test_serve_over_https_with_a_pinned_fingerprint(tmp_path):
    d = ["--data-dir", str(tmp_path)]
    fp = run("init-tls", *d).output.split()[-1]
    run("repo", "create", "ds", *d)
    token = run("token", "create", "--repo", "ds", "--role", "write", *d).output.split()[-1]
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-c",
                             "from ldv.remote_server.cli import main; main()", "serve",
                             "--port", str(port), *d],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        client = _connect(f"https://127.0.0.1:{port}/ds", token, fp, proc)
        pack, data, entries = random_pack(3, 1000)
        client.upload_pack(pack, data, "data", entries)
        assert client.read_pack(pack, 1000, 1000) == data[1000:2000]
        client.close()
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5)


def _connect(url, token, fp, proc) -> RemoteClient:
    deadline = time.monotonic() + 30
    while True:
        try:
            c = RemoteClient(url, token, fingerprint=fp, retries=0)
            c.health()
            return c
        except NetworkError:
            if time.monotonic() > deadline or proc.poll() is not None:
                pytest.fail("ldv-server serve did not come up: "
                            + (proc.stderr.read().decode()[-500:] if proc.poll() else ""))
            time.sleep(0.2)


def test_settings_come_from_the_environment(tmp_path):
    from ldv.remote_server.config import ServerConfig
    cfg = ServerConfig.from_env({"LDV_SERVER_DATA_DIR": str(tmp_path),
                                 "LDV_SERVER_PORT": "9999"}, host="::1")
    assert (cfg.data_dir, cfg.port, cfg.host) == (str(tmp_path), 9999, "::1")
    env = dict(os.environ, LDV_SERVER_DATA_DIR=str(tmp_path))
    out = subprocess.run([sys.executable, "-c", "from ldv.remote_server.cli import main; main()",
                          "repo", "list"], env=env, capture_output=True, text=True, timeout=60)
    assert out.returncode == 0 and (tmp_path / "meta.sqlite3").exists()


def test_production_backends_from_options(tmp_path, seaweed, pg_url, monkeypatch):
    from tests.fixtures.postgres import fresh_schema
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", seaweed.access_key)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", seaweed.secret_key)
    schema = fresh_schema()
    opts = ["--s3-endpoint", seaweed.endpoint, "--s3-bucket", "ldv-cli-" + schema[-8:],
            "--s3-prefix", "p1", "--database-url", pg_url, "--database-schema", schema,
            "--data-dir", str(tmp_path)]
    try:
        assert "schema at version" in run("migrate", *opts).output
        run("repo", "create", "prod", *opts)
        assert run("repo", "list", *opts).output.split() == ["prod"]
        assert not (tmp_path / "meta.sqlite3").exists()       # nothing went to SQLite
        run("repo", "delete", "prod", "--yes", *opts)
    finally:
        from ldv.remote_server.postgres import PostgresStore
        PostgresStore(pg_url, schema=schema).drop_schema()
