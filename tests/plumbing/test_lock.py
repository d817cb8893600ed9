"""lock.py: exclusive, names its holder, waits up to a timeout, dies with its holder."""
from __future__ import annotations

import subprocess
import sys
import time

import pytest

from ldv.plumbing.errors import RepositoryLocked
from ldv.plumbing.lock import Lock


def test_second_holder_is_refused_with_pid(tmp_path):
    with Lock(tmp_path / "l"):
        with pytest.raises(RepositoryLocked, match=r"locked by pid \d+") as e:
            Lock(tmp_path / "l").acquire()
        assert e.value.hint


def test_timeout_waits_then_fails(tmp_path):
    with Lock(tmp_path / "l"):
        start = time.monotonic()
        with pytest.raises(RepositoryLocked):
            Lock(tmp_path / "l", timeout=0.2).acquire()
        assert time.monotonic() - start >= 0.2


def test_lock_dies_with_a_killed_holder(tmp_path):
    code = ("import sys, time; from ldv.plumbing.lock import Lock; "
            f"Lock({str(tmp_path / 'l')!r}).acquire(); print('held', flush=True); "
            "time.sleep(30)")
    proc = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE)
    try:
        assert proc.stdout.readline().strip() == b"held"
        with pytest.raises(RepositoryLocked, match=f"pid {proc.pid}"):
            Lock(tmp_path / "l").acquire()
    finally:
        proc.kill()
        proc.wait(10)
    with Lock(tmp_path / "l", timeout=2):
        pass
