"""write_file: a blob's chunks written at their offsets by the store's worker
threads (read_each), repeats written once per copy, zero chunks left as holes."""
from __future__ import annotations

import os
import random

import pytest

from ldv.plumbing.blobs import write_chunk_list
from ldv.plumbing.errors import CorruptObject
from ldv.plumbing.objects import MODE_FILE
from ldv.plumbing.odb import ObjType
from ldv.porcelain.workfiles import write_file

from tests.plumbing.store_builders import make_store, text


@pytest.mark.parametrize("workers", [0, 2])
def test_runs_repeats_holes_and_a_trailing_hole_come_back_exactly(tmp_path, workers):
    store = make_store(tmp_path / "repo", workers=workers, pack_size=1 << 20)
    rng = random.Random(7)
    a, b, zeros = text(rng, 70_000), text(rng, 33_333), bytes(65_536)
    ids = {d: store.put(ObjType.CHUNK, d) for d in (a, b, zeros)}
    layout = [a, a, a, zeros, b, zeros, a] + [b] * 20 + [zeros, zeros]
    blob, size = write_chunk_list(store, [(ids[d], len(d)) for d in layout])
    store.flush()
    reader = make_store(tmp_path / "repo", workers=workers)
    work = tmp_path / "work"
    work.mkdir()
    st = write_file(reader, work, "d/f.bin", MODE_FILE, blob)
    assert st.st_size == size
    assert (work / "d" / "f.bin").read_bytes() == b"".join(layout)


def test_a_chunk_of_the_wrong_length_fails_and_leaves_nothing(tmp_path):
    store = make_store(tmp_path / "repo", workers=2)
    data = b"twelve bytes"
    chunk = store.put(ObjType.CHUNK, data)
    blob, _size = write_chunk_list(store, [(chunk, len(data) + 1)])   # a lying blob
    store.flush()
    work = tmp_path / "work"
    work.mkdir()
    with pytest.raises(CorruptObject, match="its blob says"):
        write_file(make_store(tmp_path / "repo", workers=2), work, "f", MODE_FILE, blob)
    assert os.listdir(work) == []


def test_a_large_file_replaces_an_existing_one_through_a_set_aside_rename(tmp_path):
    """From 16 MiB the old file is renamed aside and unlinked (no rename over it):
    the new content is in place, a second link keeps the old, nothing is left."""
    store = make_store(tmp_path / "repo", workers=2, pack_size=1 << 20)
    rng = random.Random(3)
    chunk = text(rng, 65_536)
    cid = store.put(ObjType.CHUNK, chunk)
    blob, size = write_chunk_list(store, [(cid, len(chunk))] * 260)       # 16.25 MiB
    store.flush()
    work = tmp_path / "work"
    work.mkdir()
    (work / "f").write_bytes(b"old content")
    os.link(work / "f", work / "second link")
    st = write_file(make_store(tmp_path / "repo", workers=2), work, "f", MODE_FILE, blob)
    assert size >= 16 << 20 and st.st_size == size
    assert (work / "f").read_bytes() == chunk * 260
    assert (work / "second link").read_bytes() == b"old content"
    assert sorted(os.listdir(work)) == ["f", "second link"]


def test_a_directory_in_the_set_aside_name_falls_back_to_a_plain_replace(tmp_path):
    store = make_store(tmp_path / "repo", workers=2, pack_size=1 << 20)
    chunk = text(random.Random(4), 65_536)
    blob, _size = write_chunk_list(store, [(store.put(ObjType.CHUNK, chunk), len(chunk))] * 260)
    store.flush()
    work = tmp_path / "work"
    (work / ".f.ldvold").mkdir(parents=True)
    (work / ".f.ldvold" / "x").write_bytes(b"a user's file")
    (work / "f").write_bytes(b"old content")
    write_file(make_store(tmp_path / "repo", workers=2), work, "f", MODE_FILE, blob)
    assert (work / "f").read_bytes() == chunk * 260
    assert (work / ".f.ldvold" / "x").read_bytes() == b"a user's file"
    assert sorted(os.listdir(work)) == [".f.ldvold", "f"]
