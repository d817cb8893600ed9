"""ldv/cli/main.py: the one place where outcomes become exit codes and messages."""
from __future__ import annotations

import errno

import pytest

from ldv.cli.failure import EXIT_INTERNAL
from ldv.cli.main import COMMANDS, LazyGroup, run_mapped
from ldv.plumbing import errors


def _raise(exc):
    def call():
        raise exc
    return call


@pytest.mark.parametrize("exc,code", [
    (errors.Conflict("c"), 1), (errors.BadRevision("r"), 2), (errors.NotARepository("n"), 3),
    (errors.WouldClobber("w"), 3), (errors.CorruptPack("p"), 4), (errors.WrongKey("k"), 5),
    (errors.RemoteError("x"), 6)])
def test_typed_errors_map_to_their_codes(capsys, exc, code):
    assert run_mapped(_raise(exc)) == code == exc.exit_code
    err = capsys.readouterr().err
    assert err == f"error: {exc.message}\n"


def test_hint_is_on_the_same_line(capsys):
    run_mapped(_raise(errors.MissingKey("no key", hint="set LDV_MASTER_KEY\nor copy it")))
    assert capsys.readouterr().err == \
        "error: no key (hint: set LDV_MASTER_KEY or copy it)\n"


def test_os_errors(capsys):
    e = OSError(errno.ENOSPC, "No space left on device", "/data/x")
    assert run_mapped(_raise(e)) == 3
    err = capsys.readouterr().err
    assert err.startswith("error: No space left on device: /data/x (hint: free some disk")
    assert err.count("\n") == 1


def test_interrupt_bug_and_return_values(capsys, monkeypatch):
    monkeypatch.delenv("LDV_DEBUG", raising=False)
    assert run_mapped(_raise(KeyboardInterrupt())) == 130
    assert run_mapped(_raise(ZeroDivisionError("x"))) == EXIT_INTERNAL
    assert "internal error: ZeroDivisionError" in capsys.readouterr().err
    assert run_mapped(lambda: None) == 0
    assert run_mapped(lambda: 1) == 1
    monkeypatch.setenv("LDV_DEBUG", "1")
    with pytest.raises(ZeroDivisionError):
        run_mapped(_raise(ZeroDivisionError("x")))


def test_every_registered_command_loads():
    group = LazyGroup()
    for name in COMMANDS:
        assert group.get_command(None, name) is not None, name
    assert group.get_command(None, "nosuch") is None


def test_cli_md_lists_the_sync_commands():
    from pathlib import Path
    doc = (Path(__file__).parents[2] / "docs" / "CLI.md").read_text()
    table = doc.split("## Commands", 1)[1].split("\n## ", 1)[0]
    for name in ("remote", "login", "push", "fetch", "pull", "clone", "ls-remote"):
        assert name in COMMANDS and f"| `ldv {name}" in table, name
