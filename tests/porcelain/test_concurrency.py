"""Two processes committing to one repository at once: each either succeeds (one
after the other) or stops with a clear "locked" error; history stays linear and
`ldv fsck` stays clean."""
from __future__ import annotations

import os
import subprocess

import pytest

from ldv.plumbing.keys import MasterKey
from ldv.plumbing.objects import read_commit
from ldv.plumbing.repository import Repo
from tests.porcelain.test_crash import ldv_cmd, run

ROUNDS = 4


def history(root, key) -> list[bytes]:
    repo = Repo.open(root, key)
    out, oid = [], repo.refs.read("HEAD")
    while oid is not None:
        out.append(oid)
        parents = read_commit(repo.odb, oid).parents
        assert len(parents) <= 1
        oid = parents[0] if parents else None
    return out


@pytest.mark.slow
def test_two_committers_at_once(tmp_path):
    key = MasterKey.generate()
    env = {**os.environ, "LDV_MASTER_KEY": key.hex(), "XDG_CONFIG_HOME": str(tmp_path / "c"),
           "LDV_AUTHOR_NAME": "P", "LDV_AUTHOR_EMAIL": "p@example.com"}
    root = tmp_path / "data"
    root.mkdir()
    run(root, env, "init")
    (root / "seed.txt").write_text("0\n")
    run(root, env, "add", ".")
    run(root, env, "commit", "-m", "seed")
    successes, locked = 0, 0
    for r in range(ROUNDS):
        for w in range(2):
            (root / f"w{w}.bin").write_bytes(os.urandom(3 * 2**20))
        procs = [subprocess.Popen(ldv_cmd() + ["-q", "commit", "--allow-empty", "-m",
                                               f"round {r} writer {w}"] if r % 2 else
                                  ldv_cmd() + ["-q", "add", f"w{w}.bin"],
                                  cwd=root, env=env, stdout=subprocess.PIPE,
                                  stderr=subprocess.PIPE) for w in range(2)]
        for p in procs:
            out, err = p.communicate(timeout=120)
            if p.returncode == 0:
                successes += 1
            else:
                assert p.returncode == 3 and b"locked" in err, (p.returncode, err)
                assert err.count(b"\n") == 1, err          # one line, no traceback
                locked += 1
        run(root, env, "commit", "--allow-empty", "-m", f"settle {r}")
    assert successes >= ROUNDS          # at least one of each pair got through
    commits = history(root, key)
    # seed + one settle per round + every successful commit (adds make none)
    made = sum(1 for c in commits if read_commit(Repo.open(root, key).odb, c)
               .message.startswith("round"))
    assert len(commits) == 1 + ROUNDS + made
    assert run(root, env, "fsck", check=False).returncode == 0
    run(root, env, "status")            # the index is intact
