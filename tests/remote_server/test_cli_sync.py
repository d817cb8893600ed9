"""The sync commands of `ldv` (remote, push, clone, pull, fetch, ls-remote, login)
against a real ldv-server over HTTPS."""
from __future__ import annotations

import stat

import pytest

from tests.cli.conftest import IDENTITY, Ldv

from .harness import ServerThread
from .test_api import make_services

KEY = "22" * 32


@pytest.fixture
def server(tmp_path, request):
    svc = make_services("embedded", tmp_path / "srv", request)
    svc.store.create_repo("ds")
    srv = ServerThread(svc, tmp_path / "srv").start()
    yield srv
    srv.stop()


def _initialized(server, tmp_path, role: str = "write") -> Ldv:
    """ldv in a new repository tmp_path/a, with a token of ``role`` on the
    server's repository ds in its environment."""
    _id, token = server.svc.store.create_token("ds", role, "ada")
    env = {"XDG_CONFIG_HOME": str(tmp_path / "config"), "LDV_MASTER_KEY": KEY,
           "LDV_TOKEN": token, **IDENTITY}
    (tmp_path / "a").mkdir()
    a = Ldv(tmp_path / "a", env)
    a("init")
    return a


def _pushed(server, tmp_path, name: str = "f.txt", text: str = "x\n") -> Ldv:
    """_initialized, then one commit of ``name`` pushed to ds through origin."""
    a = _initialized(server, tmp_path)
    a.write(name, text)
    a("add", ".")
    a("commit", "-m", "first")
    a("remote", "add", "origin", server.url("ds"), "--fingerprint", server.fingerprint)
    a("push")
    return a


def test_cli_push_clone_pull(server, tmp_path):
    _id, token = server.svc.store.create_token("ds", "write", "ada")
    env = {"XDG_CONFIG_HOME": str(tmp_path / "config"), "LDV_MASTER_KEY": KEY,
           "LDV_TOKEN": token, **IDENTITY}
    (tmp_path / "a").mkdir()
    a = Ldv(tmp_path / "a", env)
    a("init")
    a.write("train.jsonl", '{"x": 1}\n' * 1000)
    a("add", ".")
    a("commit", "-m", "first")
    a("remote", "add", "origin", server.url("ds"), "--fingerprint", server.fingerprint)
    assert server.url("ds") in a("remote", "-v").output
    assert "main -> origin" in a("push").output
    assert a("push").exit_code == 0
    a("clone", server.url("ds"), str(tmp_path / "b"), "--fingerprint", server.fingerprint)
    original = (tmp_path / "a" / "train.jsonl").read_bytes()
    assert (tmp_path / "b" / "train.jsonl").read_bytes() == original
    b = Ldv(tmp_path / "b", env)
    a.write("train.jsonl", '{"x": 22}\n' * 1000)   # another size: no racy-stat doubt
    a("commit", "-a", "-m", "second")
    a("push", "origin", "main")
    assert "fast-forward" in b("pull").output
    assert (tmp_path / "b" / "train.jsonl").read_text().startswith('{"x": 22}')
    refs = b("ls-remote").output.split()
    assert refs[1] == "refs/heads/main" and len(refs[0]) == 64
    # both commit: the second push is refused with the command that fixes it
    a.write("a.txt", "a\n")
    a("add", "a.txt")
    a("commit", "-m", "from a")
    a("push")
    b.write("b.txt", "b\n")
    b("add", "b.txt")
    b("commit", "-m", "from b")
    r = b("push", code=1)                   # a conflict, as docs/EXIT_CODES.md says
    line, = r.output.strip().splitlines()
    assert "the remote has commits you do not have" in line
    assert "`ldv pull origin`" in line and "--force" in line


def test_cli_login_stores_the_token_privately(server, tmp_path):
    _id, token = server.svc.store.create_token("ds", "read", "ada")
    env = {"XDG_CONFIG_HOME": str(tmp_path / "config"), "LDV_MASTER_KEY": KEY,
           "LDV_TOKEN": None, **IDENTITY}
    (tmp_path / "a").mkdir()
    a = Ldv(tmp_path / "a", env)
    a("init")
    a("remote", "add", "origin", server.url("ds"), "--fingerprint", server.fingerprint)
    assert a("ls-remote", code=5).exit_code == 5           # no token yet: auth error
    a("login", server.url("ds"), "--fingerprint", server.fingerprint, "--token", token)
    cred = tmp_path / "config" / "ldv" / "credentials.json"
    assert stat.S_IMODE(cred.stat().st_mode) == 0o600
    assert a("ls-remote").output == ""
    r = a("push", code=None)
    assert r.exit_code in (2, 5)     # nothing to push from an empty repo, or read-only token


def test_cli_shallow_and_partial_clones(server, tmp_path):
    _id, token = server.svc.store.create_token("ds", "write", "ada")
    env = {"XDG_CONFIG_HOME": str(tmp_path / "config"), "LDV_MASTER_KEY": KEY,
           "LDV_TOKEN": token, **IDENTITY}
    (tmp_path / "a").mkdir()
    a = Ldv(tmp_path / "a", env)
    a("init")
    a("remote", "add", "origin", server.url("ds"), "--fingerprint", server.fingerprint)
    for i in range(5):
        a.write("data/train.jsonl", f'{{"v": {i}}}\n' * (100 + i))
        a.write("docs/readme.md", f"version {i}\n")
        a("add", ".")
        a("commit", "-m", f"v{i}")
        a("push")
    a("clone", server.url("ds"), str(tmp_path / "s"), "--depth", "1",
      "--fingerprint", server.fingerprint)
    s = Ldv(tmp_path / "s", env)
    assert s("fsck").exit_code == 0
    assert s("log", "--format=%s").output.split() == ["v4"]
    s.write("docs/readme.md", "from the shallow clone\n")
    s("commit", "-a", "-m", "shallow edit")
    assert s("push").exit_code == 0
    s("fetch", "--unshallow")
    assert s("log", "--format=%s").output.splitlines() == [
        "shallow edit", "v4", "v3", "v2", "v1", "v0"]
    assert s("fsck").exit_code == 0
    a("clone", server.url("ds"), str(tmp_path / "p"), "--filter", "docs",
      "--fingerprint", server.fingerprint)
    assert sorted(p.name for p in (tmp_path / "p").iterdir()) == [".ldv", "docs"]
    p = Ldv(tmp_path / "p", env)
    assert p("status", "--porcelain").output == ""
    assert p("fsck").exit_code == 0


def test_cli_clone_of_a_missing_branch_names_the_branches(server, tmp_path):
    a = _pushed(server, tmp_path)
    r = a("clone", server.url("ds"), str(tmp_path / "b"), "-b", "nosuch",
          "--fingerprint", server.fingerprint, code=2)
    assert "has no branch 'nosuch'" in r.output and "its branches: main" in r.output
    assert "Traceback" not in r.output and len(r.output.strip().splitlines()) == 1
    assert not (tmp_path / "b").exists()


def test_cli_untrusted_certificate_says_to_pin_its_key(server, tmp_path):
    _id, token = server.svc.store.create_token("ds", "read", "ada")
    env = {"XDG_CONFIG_HOME": str(tmp_path / "config"), "LDV_MASTER_KEY": KEY,
           "LDV_TOKEN": token, **IDENTITY}
    (tmp_path / "a").mkdir()
    a = Ldv(tmp_path / "a", env)
    a("init")
    a("remote", "add", "origin", server.url("ds"))             # no --fingerprint
    r = a("ls-remote", code=6)
    line, = r.output.strip().splitlines()
    assert "does not trust" in line and "--fingerprint" in line, line
    r = a("login", server.url("ds"), "--token", token, code=6)
    assert "--fingerprint" in r.output
    a("config", "set", "remote.origin.fingerprint", server.fingerprint)
    assert a("ls-remote").exit_code == 0


def test_cli_remote_add_refuses_a_malformed_fingerprint(tmp_path):
    env = {"XDG_CONFIG_HOME": str(tmp_path / "config"), "LDV_MASTER_KEY": KEY, **IDENTITY}
    (tmp_path / "a").mkdir()
    a = Ldv(tmp_path / "a", env)
    a("init")
    r = a("remote", "add", "origin", "https://127.0.0.1:1/ds", "--fingerprint", "bogus", code=2)
    assert "not a SHA-256 fingerprint" in r.output
    assert a("remote").output == ""


def test_cli_login_reads_a_piped_token_without_a_prompt(server, tmp_path):
    _id, token = server.svc.store.create_token("ds", "read", "ada")
    env = {"XDG_CONFIG_HOME": str(tmp_path / "config"), "LDV_TOKEN": None, **IDENTITY}
    (tmp_path / "a").mkdir()
    a = Ldv(tmp_path / "a", env)
    r = a("login", server.url("ds"), "--fingerprint", server.fingerprint, input=token + "\n")
    assert r.output.startswith("token stored in "), r.output
    r = a("login", server.url("ds"), "--fingerprint", server.fingerprint, input="\n", code=2)
    assert "no token given" in r.output and "--token" in r.output


def test_cli_push_of_another_repository_is_not_called_a_forgery(server, tmp_path):
    _id, token = server.svc.store.create_token("ds", "write", "ada")
    env = {"XDG_CONFIG_HOME": str(tmp_path / "config"), "LDV_MASTER_KEY": KEY,
           "LDV_TOKEN": token, **IDENTITY}
    for name in ("a", "other"):          # two `ldv init`s: two keyrings
        (tmp_path / name).mkdir()
        r = Ldv(tmp_path / name, env)
        r("init")
        r.write("f.txt", f"{name}\n")
        r("add", ".")
        r("commit", "-m", name)
        r("remote", "add", "origin", server.url("ds"), "--fingerprint", server.fingerprint)
    Ldv(tmp_path / "a", env)("push")
    other = Ldv(tmp_path / "other", env)
    for cmd in ("push", "fetch"):
        r = other(cmd, code=3)
        line, = r.output.strip().splitlines()
        assert "holds another repository" in line and "ldv clone" in line, line


def test_cli_pull_of_a_branch_the_remote_lacks_says_what_to_do(server, tmp_path):
    a = _pushed(server, tmp_path)
    r = a("pull", "origin", "nosuch", code=2)
    assert "has no branch nosuch" in r.output and "its branches: main" in r.output
    a("switch", "-c", "dev")
    r = a("pull", code=2)
    assert "has no branch dev" in r.output and "ldv push origin dev" in r.output


def test_cli_login_fingerprint_serves_clone_and_remotes_of_that_server(server, tmp_path):
    _id, token = server.svc.store.create_token("ds", "write", "ada")
    env = {"XDG_CONFIG_HOME": str(tmp_path / "config"), "LDV_MASTER_KEY": KEY,
           "LDV_TOKEN": None, **IDENTITY}
    (tmp_path / "a").mkdir()
    a = Ldv(tmp_path / "a", env)
    a("login", server.url("ds"), "--fingerprint", server.fingerprint, "--token", token)
    a("init")
    a.write("f.txt", "x\n")
    a("add", ".")
    a("commit", "-m", "first")
    a("remote", "add", "origin", server.url("ds"))          # no --fingerprint: login's
    assert a("push").exit_code == 0
    a("clone", server.url("ds"), str(tmp_path / "b"))
    assert (tmp_path / "b" / "f.txt").read_text() == "x\n"
    b = Ldv(tmp_path / "b", env)
    assert b("ls-remote").output.split()[1] == "refs/heads/main"


def test_cli_push_tags_with_a_branch_pushes_both(server, tmp_path):
    a = _initialized(server, tmp_path)
    a.write("f.txt", "x\n")
    a("add", ".")
    a("commit", "-m", "first")
    a("tag", "v1")
    a("remote", "add", "origin", server.url("ds"), "--fingerprint", server.fingerprint)
    a("push", "origin", "main", "--tags")
    refs = a("ls-remote").output.split()[1::2]
    assert refs == ["refs/heads/main", "refs/tags/v1"], refs


def test_cli_clone_refuses_a_folder_with_files(server, tmp_path):
    a = _pushed(server, tmp_path, "README.txt", "from the repository\n")
    mine = tmp_path / "b" / "README.txt"
    mine.parent.mkdir()
    mine.write_text("my own notes\n")
    r = a("clone", server.url("ds"), str(tmp_path / "b"), "--fingerprint",
          server.fingerprint, code=3)
    assert "not an empty folder" in r.output
    assert mine.read_text() == "my own notes\n" and not (tmp_path / "b" / ".ldv").exists()
    (tmp_path / "c").mkdir()                                   # an empty one is fine
    a("clone", server.url("ds"), str(tmp_path / "c"), "--fingerprint", server.fingerprint)
    assert (tmp_path / "c" / "README.txt").read_text() == "from the repository\n"


def test_cli_depth_below_one_is_a_usage_error(server, tmp_path):
    a = _pushed(server, tmp_path)
    for depth in ("0", "-3"):
        assert "--depth" in a("fetch", "--depth", depth, code=2).output
        r = a("clone", server.url("ds"), str(tmp_path / "b"), "--depth", depth,
              "--fingerprint", server.fingerprint, code=2)
        assert "--depth" in r.output and not (tmp_path / "b").exists()


def test_cli_push_all_pushes_what_it_can_and_lists_the_refused(server, tmp_path):
    """As git: a refused branch does not stop --all; exit 1 names it."""
    a = _pushed(server, tmp_path)
    a("branch", "next")
    a("push", "origin", "next")
    a("clone", server.url("ds"), str(tmp_path / "b"), "--fingerprint", server.fingerprint)
    b = Ldv(tmp_path / "b", a.env)
    b.write("b.txt", "b\n")
    b("add", "b.txt")
    b("commit", "-m", "main moves on the server")
    b("push")
    a.write("a.txt", "a\n")                       # main diverges; next (pushed after it) moves on
    a("add", "a.txt")
    a("commit", "-m", "local main")
    a("switch", "-q", "next")
    a.write("d.txt", "d\n")
    a("add", "d.txt")
    a("commit", "-m", "local next")
    r = a("push", "--all", code=1)
    assert "main: rejected" in r.stdout and " next -> origin" in r.stdout
    assert r.stderr.startswith("error: 1 of 2 refs rejected: refs/heads/main:")
    assert "`ldv pull origin`" in r.stderr
    nxt = a("rev-parse", "next").output.strip()
    assert nxt in a("ls-remote").output.split()      # next arrived anyway
