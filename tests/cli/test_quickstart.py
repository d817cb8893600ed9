"""The README's first command: scripts/quickstart.sh must run clean."""
from __future__ import annotations

import os
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_quickstart_runs(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("LDV_")}
    env["TMPDIR"] = str(tmp_path)
    p = subprocess.run(["bash", str(ROOT / "scripts" / "quickstart.sh")], env=env,
                       capture_output=True, text=True, timeout=240)
    assert p.returncode == 0, p.stdout[-2000:] + p.stderr[-2000:]
    out = p.stdout
    assert "Initialized empty ldv repository" in out
    assert "Add arithmetic dataset v1" in out
    assert '+{"id": 41, "prompt": "What is 41 + 41?", "answer": "eighty-two"}' in out
    assert "A\tvalid.jsonl" in out
    assert "ok" in p.stderr                              # fsck's summary line
    assert list(tmp_path.iterdir()) == []                # it cleans up after itself
