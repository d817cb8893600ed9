"""ldv/progress.py, ldv/identity.py and ldv/keysource.py: the CLI's own helpers."""
from __future__ import annotations

import io

from ldv.plumbing.keys import MasterKey
from ldv.progress import TerminalProgress, make_progress


class Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_draws_only_on_a_terminal():
    plain = io.StringIO()
    p = make_progress(stream=plain)
    p("Adding", 5, 10)
    p.close()
    assert plain.getvalue() == ""
    quiet = make_progress(quiet=True, stream=Tty())
    quiet("Adding", 5, 10)
    assert isinstance(make_progress(stream=Tty()), TerminalProgress)


def test_progress_bar_text_and_throttle():
    tty = Tty()
    p = make_progress(stream=tty)
    p("Adding files", 0, 200)
    for i in range(1, 150):
        p("Adding files", i, 200)            # throttled: at most a redraw per 0.1 s
    p("Adding files", 200, 200)              # the end is always drawn, then a newline
    p("Counting", 7, None)
    p.close()
    text = tty.getvalue()
    assert text.count("\r") < 20
    assert "Adding files: 100% (200/200)\n" in text
    assert text.endswith("Counting: 7\n")


def test_identity_order(monkeypatch, tmp_path):
    from ldv.identity import resolve_identity
    home = tmp_path / "home"
    home.mkdir()
    (home / ".gitconfig").write_text("[user]\n\tname = Git Global\n\temail = gg@example.org\n")
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.delenv("XDG_CONFIG_HOME", raising=False)
    monkeypatch.delenv("GIT_CONFIG_GLOBAL", raising=False)
    monkeypatch.delenv("LDV_AUTHOR_NAME", raising=False)
    monkeypatch.delenv("LDV_AUTHOR_EMAIL", raising=False)
    assert (resolve_identity(None).name, resolve_identity(None).email) == \
        ("Git Global", "gg@example.org")
    monkeypatch.setenv("LDV_AUTHOR_NAME", "Env Name")
    assert resolve_identity(None).name == "Env Name"
    assert resolve_identity(None).email == "gg@example.org"       # each field on its own
    config = {"user.name": "Config Name"}
    assert resolve_identity(config).name == "Config Name"
    (home / ".gitconfig").unlink()
    monkeypatch.delenv("LDV_AUTHOR_NAME")
    ident = resolve_identity(None)
    assert ident.name and "@" in ident.email                    # a default, never empty


def test_key_rotate_master_replaces_the_key_file(repo, env):
    from pathlib import Path
    key_file = next((Path(env["XDG_CONFIG_HOME"]) / "ldv" / "keys").glob("*.key"))
    old = key_file.read_text()
    r = repo("key", "rotate", "--master")
    assert str(key_file) in r.output
    assert key_file.read_text() != old
    assert repo("show", "HEAD:a.txt").output == "alpha\nbeta\n"   # the new key opens it
    repo.runner.env["LDV_MASTER_KEY"] = MasterKey.from_hex(old.strip()).hex()
    repo("status", code=5)                                        # the old one no longer
