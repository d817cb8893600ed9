"""Without a key, the record merge aligns records as Git aligns lines: wherever
``git merge-file`` merges a JSONL file cleanly, the record merge is clean too and
gives the same bytes."""
from __future__ import annotations

import random
import shutil
import subprocess

import pytest

from ldv.porcelain.merge.recordmerge import merge_records
from tests.conftest import require_service


def _mutate(rng, recs, alphabet):
    recs = list(recs)
    for _ in range(rng.randint(0, 3)):
        pos = rng.randint(0, len(recs))
        op = rng.random()
        if op < 0.4 and recs:
            recs[min(pos, len(recs) - 1)] = rng.choice(alphabet)
        elif op < 0.7:
            recs[pos:pos] = [rng.choice(alphabet) for _ in range(rng.randint(1, 2))]
        elif recs:
            del recs[pos:pos + rng.randint(1, 2)]
    return recs


@pytest.mark.parametrize("seed", range(3))
def test_clean_git_merges_equal_positional_record_merges(tmp_path, seed):
    require_service(shutil.which("git") is not None, "git")
    rng = random.Random(seed)
    agreed = 0
    for _ in range(50):
        alphabet = [b'{"v": %d}' % i for i in range(rng.randint(3, 12))]
        base = [rng.choice(alphabet) for _ in range(rng.randint(1, 14))]
        versions = [base, _mutate(rng, base, alphabet), _mutate(rng, base, alphabet)]
        paths = []
        for name, recs in zip(("b", "o", "t"), versions):
            p = tmp_path / f"{name}.jsonl"
            p.write_bytes(b"".join(r + b"\n" for r in recs))
            paths.append(p)
        git = subprocess.run(["git", "merge-file", "-p", "o.jsonl", "b.jsonl", "t.jsonl"],
                             cwd=tmp_path, capture_output=True, timeout=20)
        res = merge_records(*paths, tmp_path / "m.jsonl", fmt="jsonl", key=None)
        if git.returncode == 0:
            # Git's rule is stricter (adjacent edits conflict), so clean there
            # means clean here, with the same bytes.
            assert res.clean, versions
            assert (tmp_path / "m.jsonl").read_bytes() == git.stdout, versions
            agreed += 1
    assert agreed >= 20     # the comparison really ran on many merges
