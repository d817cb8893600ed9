"""Issue 2: `ldv add` and reading back a 3 GiB non-sparse file stay under 256 MiB
peak RSS, through the real encrypted store and the installed CLI code path.

The file is unique, incompressible data (BLAKE3 output), so every chunk goes
through compress-attempt, encryption and packing; nothing dedupes."""
from __future__ import annotations

import subprocess
import sys

import blake3
import pytest

from .conftest import subprocess_env

SIZE = 3 << 30
BLOCK = 16 << 20
LIMIT = 256 << 20

# Runs one ldv command in-process and reports this process's peak RSS (VmHWM:
# ru_maxrss would include the forking pytest worker's peak, Linux keeps it
# across exec).
WRAPPER = r"""
import atexit, sys
def _hwm():
    with open("/proc/self/status") as f:
        kib = next(int(l.split()[1]) for l in f if l.startswith("VmHWM:"))
    sys.stderr.write(f"VMHWM {kib * 1024}\n")
atexit.register(_hwm)
from ldv.cli.main import main
sys.argv = ["ldv"] + sys.argv[1:]
main()
"""


def _write_big(path) -> bytes:
    """Write SIZE unique bytes block by block; return their BLAKE3 digest."""
    xof = blake3.blake3(b"ldv big file test")
    whole = blake3.blake3(max_threads=blake3.blake3.AUTO)
    with open(path, "wb") as f:
        for off in range(0, SIZE, BLOCK):
            block = xof.digest(length=BLOCK, seek=off)
            whole.update(block)
            f.write(block)
    return whole.digest()


def _digest(path) -> bytes:
    h = blake3.blake3(max_threads=blake3.blake3.AUTO)
    h.update_mmap(str(path))
    return h.digest()


def _ldv(args, cwd, env) -> int:
    p = subprocess.run([sys.executable, "-c", WRAPPER, *args], cwd=cwd,
                       env=subprocess_env(env), capture_output=True, text=True,
                       timeout=280)
    assert p.returncode == 0, (args, p.stdout, p.stderr[-2000:])
    line = [l for l in p.stderr.splitlines() if l.startswith("VMHWM ")][-1]
    return int(line.split()[1])


@pytest.mark.slow
def test_add_and_read_back_3_gib_in_bounded_memory(tmp_path, env):
    ds = tmp_path / "ds"
    _ldv(["init", "-q", str(ds)], tmp_path, env)
    want = _write_big(ds / "big.bin")

    peak_add = _ldv(["add", "-q", "big.bin"], ds, env)
    _ldv(["commit", "-q", "-m", "big"], ds, env)
    (ds / "big.bin").unlink()
    peak_read = _ldv(["restore", "big.bin"], ds, env)

    assert (ds / "big.bin").stat().st_size == SIZE
    assert _digest(ds / "big.bin") == want
    assert peak_add < LIMIT, f"ldv add peaked at {peak_add >> 20} MiB"
    assert peak_read < LIMIT, f"ldv restore peaked at {peak_read >> 20} MiB"
