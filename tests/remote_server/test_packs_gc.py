"""Abandoned uploads: `ldv-server gc` removes the parts of pushes that never
finished and went quiet, and nothing else."""
from __future__ import annotations

import os
import time

import blake3
import pytest

from ldv.remote_server import packs
from ldv.remote_server.services import part_name

from .test_api import make_services
from .test_cli import run

HOUR = 3600


@pytest.fixture(params=["embedded", "production"])
def svc(request, tmp_path):
    s = make_services(request.param, tmp_path, request)
    s.store.create_repo("ds")
    return s


def parts_of(svc, rid, pack) -> list[str]:
    return list(svc.backend.list(part_name(rid, pack, 0)[:-6]))


def upload(svc, rid, data: bytes, nparts: int = 2) -> str:
    pack = blake3.blake3(data).hexdigest()
    step = -(-len(data) // nparts)
    for i in range(nparts):
        packs.store_part(svc, rid, pack, i, data[i * step:(i + 1) * step], None)
    return pack


def test_gc_removes_only_stale_unfinished_uploads(svc):
    rid, now = svc.store.repo_id("ds"), int(time.time())
    stale = upload(svc, rid, os.urandom(5000))
    svc.store.touch_upload(rid, stale, now - 25 * HOUR)
    busy = upload(svc, rid, os.urandom(5000))               # a part just arrived
    done_bytes = os.urandom(6000)
    done = upload(svc, rid, done_bytes, nparts=3)
    svc.store.touch_upload(rid, done, now - 25 * HOUR)
    assert packs.finish(svc, "ds", rid, done, len(done_bytes), "data", 3,
                        [[os.urandom(32).hex(), 0, 6000, "data"]])
    lost = os.urandom(32).hex()                             # parts with no upload record
    svc.backend.put(part_name(rid, lost, 0), b"x" * 100)

    report = packs.collect_abandoned(svc, 24 * HOUR, now=now)
    assert report == {"uploads_removed": 1, "parts_removed": 2, "untracked_found": 1}
    assert parts_of(svc, rid, stale) == []
    assert len(parts_of(svc, rid, busy)) == 2
    assert len(parts_of(svc, rid, done)) == 3 and svc.store.get_pack("ds", done)
    assert parts_of(svc, rid, lost)                         # its clock starts now
    later = packs.collect_abandoned(svc, 24 * HOUR, now=now + 25 * HOUR)
    assert later["uploads_removed"] == 2                    # busy went quiet, lost too
    assert parts_of(svc, rid, lost) == [] and parts_of(svc, rid, busy) == []
    assert len(parts_of(svc, rid, done)) == 3
    assert svc.store.uploads() == []


def test_gc_command(tmp_path):
    from ldv.remote_server.config import ServerConfig
    from ldv.remote_server.services import open_services
    d = ["--data-dir", str(tmp_path)]
    run("repo", "create", "ds", *d)
    svc = open_services(ServerConfig.from_env({}, data_dir=str(tmp_path)))
    rid = svc.store.repo_id("ds")
    pack = upload(svc, rid, os.urandom(3000))
    svc.store.touch_upload(rid, pack, int(time.time()) - 2 * HOUR)
    assert "removed 0 abandoned" in run("gc", "--max-age", "3h", *d).output
    assert "removed 1 abandoned uploads (2 parts)" in run("gc", "--max-age", "90m", *d).output
    assert parts_of(svc, rid, pack) == []
    assert run("gc", "--max-age", "soon", *d, ok=False).exit_code != 0
