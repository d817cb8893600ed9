"""Automatic maintenance after commit (gc.autoDepth): deep forward delta chains
are turned around so that the newest version is stored full."""
from __future__ import annotations

import random

import pytest

from ldv.plumbing.blobs import iter_chunk_ids
from ldv.plumbing.keys import MasterKey
from ldv.plumbing.repository import Repo
from ldv.porcelain import maintenance
from ldv.porcelain.inspect import read_file
from ldv.porcelain.worktree import Identity, Workspace

ME = Identity("Ada", "ada@example.com")


def _records(rng: random.Random, n: int) -> list[bytes]:
    words = [bytes(rng.choices(b"abcdefghij", k=rng.randint(2, 8))) for _ in range(500)]
    return [b'{"id": %d, "text": "%s"}\n' % (i, b" ".join(rng.choices(words, k=30)))
            for i in range(n)]


def _edit(rng: random.Random, recs: list[bytes], k: int) -> bytes:
    """Edit one record in every 200, so every chunk changes in every version."""
    for i in range(rng.randrange(200), len(recs), 200):
        recs[i] = recs[i].replace(b'"text": "', b'"text": "v%d ' % k, 1)
    return b"".join(recs)


@pytest.fixture
def ws(tmp_path):
    w = Workspace(Repo.init(tmp_path, MasterKey.generate(), kdf="fast"))
    yield w
    w.repo.close()


def _commit_versions(ws, count: int, seed: int = 1) -> list[tuple[bytes, bytes]]:
    """Commit data.jsonl ``count`` times, a few records edited each time;
    returns (commit id, file bytes) per version."""
    rng = random.Random(seed)
    recs, out = _records(rng, 8000), []     # ~1.5 MB: several chunks
    for k in range(count):
        data = _edit(rng, recs, k)
        (ws.root / "data.jsonl").write_bytes(data)
        ws.add(["data.jsonl"])
        out.append((ws.commit(f"v{k}", author=ME), data))
    return out


def _depths(ws) -> list[int]:
    blob = ws.index.get("data.jsonl").oid
    return [ws.repo.odb.delta_depth(c) for c, _ in iter_chunk_ids(ws.repo.odb, blob)]


def test_commit_turns_deep_chains_around(ws):
    """A file committed 17 times: auto gc at the 9th and the 17th commit."""
    seen, versions = [], []
    # one version at a time, to watch the tip's depth after each commit
    rng = random.Random(3)
    recs = _records(rng, 8000)
    for k in range(17):
        data = _edit(rng, recs, k)
        (ws.root / "data.jsonl").write_bytes(data)
        ws.add(["data.jsonl"])
        versions.append((ws.commit(f"v{k}", author=ME), data))
        seen.append(max(_depths(ws)))
    # forward deltas deepen by one per version until gc.autoDepth (8) is
    # reached; that commit's auto gc stores the tip full, and the next version
    # is a delta against it again; the second auto gc keeps it that way
    assert seen == [0, 1, 2, 3, 4, 5, 6, 7, 0, 1, 2, 3, 4, 5, 6, 7, 0]
    for oid, want in versions:
        assert read_file(ws.repo, oid.hex(), "data.jsonl") == want
    assert maintenance.fsck(ws.repo).ok


def test_gc_auto_zero_disables_it(ws):
    ws.repo.config.set("gc.auto", "0")
    versions = _commit_versions(ws, 10)
    assert max(_depths(ws)) == 9
    assert read_file(ws.repo, versions[0][0].hex(), "data.jsonl") == versions[0][1]


def test_auto_depth_is_configurable(ws):
    ws.repo.config.set("gc.autoDepth", "3")
    versions = _commit_versions(ws, 5)
    assert max(_depths(ws)) == 1          # repacked at the 4th version (depth 3)
    for oid, want in versions:
        assert read_file(ws.repo, oid.hex(), "data.jsonl") == want
    assert maintenance.fsck(ws.repo).ok
