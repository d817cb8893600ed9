"""ldv://REV/PATH (porcelain/revfs.py) on a real repository: lazy, counted reads,
and diff_rows between two committed versions."""
from __future__ import annotations

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import ldv
from ldv.plumbing.blobs import iter_chunk_ids
from ldv.plumbing.keys import MasterKey
from ldv.porcelain.revfs import RevisionFileSystem
from ldv.porcelain.rowdiff import diff_rows
from ldv.porcelain.worktree import Identity

KEY = MasterKey.from_hex("33" * 32)
ME = Identity("Row Diff", "rowdiff@example.org")
ROWS = 60_000


def _table(rows: int, bump: int) -> pa.Table:
    ids = list(range(rows))
    # Incompressible-ish text so the file spans many 256 KiB chunks.
    text = [f"{(i * 2654435761) % 10**12:012d}-{(i * 40503) % 99991:05d}" * 3 for i in ids]
    score = [float(i % 1000) + (1.0 if i % 100 == 0 and bump else 0.0) for i in ids]
    return pa.table({"id": ids, "text": text, "score": score})


@pytest.fixture(scope="module")
def repo(tmp_path_factory):
    root = tmp_path_factory.mktemp("revfs")
    r, _ = ldv.Repository.init(root / "ds", key=KEY)
    pq.write_table(_table(ROWS, 0), r.root / "data.parquet", row_group_size=10_000,
                   compression="none")
    r.add(["data.parquet"])
    r.commit("one", author=ME, now=1_700_000_000)
    t2 = _table(ROWS + 500, 1).slice(300)  # 300 removed, 500 added, 1% modified
    pq.write_table(t2, r.root / "data.parquet", row_group_size=10_000, compression="none")
    r.commit("two", all=True, author=ME, now=1_700_000_100)
    yield r
    r.close()


def test_parquet_metadata_decrypts_only_a_few_chunks(repo):
    fs = RevisionFileSystem(repo.plumbing)
    info = fs.info("ldv://HEAD/data.parquet")
    assert info["type"] == "file"
    total = sum(1 for _ in iter_chunk_ids(repo.plumbing.odb, bytes.fromhex(info["oid"])))
    assert total >= 10
    with fs.open("ldv://HEAD/data.parquet") as f:
        meta = pq.ParquetFile(f).metadata
    assert meta.num_rows == ROWS + 200 and meta.num_row_groups >= 6
    assert 0 < fs.stats.chunks <= 3 < total


def test_duckdb_reads_any_version(repo):
    fs = RevisionFileSystem(repo.plumbing)
    con = duckdb.connect()
    con.register_filesystem(fs)
    urls = ("ldv://HEAD~1/data.parquet", "ldv://HEAD/data.parquet",
            "ldv://main:data.parquet")
    counts = [con.execute(f"SELECT count(*), max(id) FROM '{u}'").fetchall()[0] for u in urls]
    assert counts == [(ROWS, ROWS - 1), (ROWS + 200, ROWS + 499), (ROWS + 200, ROWS + 499)]


def test_diff_rows_between_commits(repo):
    fs = RevisionFileSystem(repo.plumbing)
    d = diff_rows("ldv://HEAD~1/data.parquet", "ldv://HEAD/data.parquet", key=["id"],
                  filesystems=(fs,), threads=1, drift=False)
    modified = sum(1 for i in range(300, ROWS) if i % 100 == 0)
    assert d.counts.to_dict() == {"added": 500, "removed": 300, "modified": modified,
                                  "unchanged": ROWS - 300 - modified}
    assert d.columns_changed == {"score": modified}


def test_listing_and_missing_paths(repo):
    fs = RevisionFileSystem(repo.plumbing)
    assert fs.ls("ldv://HEAD", detail=False) == ["HEAD/data.parquet"]
    assert fs.info("ldv://HEAD")["type"] == "directory"
    with pytest.raises(FileNotFoundError):
        fs.info("ldv://HEAD/nope.parquet")
    with pytest.raises(FileNotFoundError):
        fs.info("ldv://no-such-branch/data.parquet")
    with pytest.raises(PermissionError):
        fs.open("ldv://HEAD/data.parquet", "wb")


def test_branch_names_with_slashes(repo):
    repo.switch("feature/x", create=True)
    fs = RevisionFileSystem(repo.plumbing)
    with fs.open("ldv://feature/x/data.parquet") as f:
        assert pq.ParquetFile(f).metadata.num_rows == ROWS + 200
    assert fs.info("ldv://feature/x")["type"] == "directory"


def test_the_ldv_protocol_is_registered_with_fsspec(repo):
    import fsspec
    fs = fsspec.filesystem("ldv", repo_path=str(repo.root), key=KEY.hex())
    try:
        with fsspec.open("ldv://HEAD~1/data.parquet", repo_path=str(repo.root),
                         key=KEY.hex()) as f:
            assert pq.ParquetFile(f).metadata.num_rows == ROWS
        assert fs.info("ldv://HEAD/data.parquet")["size"] == \
            (repo.root / "data.parquet").stat().st_size
    finally:
        fs.close()


def test_pandas_reads_any_version_by_url(repo, monkeypatch):
    """The README's promise: pandas reads a committed version by URL, from inside
    the repository (the CLI's key lookup) or given the repository and key."""
    import pandas as pd
    monkeypatch.chdir(repo.root)
    monkeypatch.setenv("LDV_MASTER_KEY", KEY.hex())
    old = pd.read_parquet("ldv://HEAD~1/data.parquet")
    assert len(old) == ROWS and list(old.columns) == ["id", "text", "score"]
    monkeypatch.chdir("/")
    monkeypatch.delenv("LDV_MASTER_KEY")
    new = pd.read_parquet("ldv://HEAD/data.parquet", columns=["id"],
                          storage_options={"repo_path": str(repo.root), "key": KEY.hex()})
    assert len(new) == ROWS + 200 and new["id"].iloc[0] == 300


def test_hugging_face_datasets_loads_a_committed_version(repo, monkeypatch, tmp_path):
    """``datasets.load_dataset("parquet", data_files="ldv://...")`` reads a
    version without a checkout (copying it into its own cache, as the docs say).
    Every proxy points at a closed loopback port, so a call to the Hub would fail."""
    import datasets
    for var in ("HTTPS_PROXY", "HTTP_PROXY", "https_proxy", "http_proxy"):
        monkeypatch.setenv(var, "http://127.0.0.1:9")
    monkeypatch.setenv("HF_HUB_DISABLE_TELEMETRY", "1")
    monkeypatch.chdir(repo.root)
    monkeypatch.setenv("LDV_MASTER_KEY", KEY.hex())
    ds = datasets.load_dataset("parquet", data_files="ldv://HEAD~1/data.parquet",
                               split="train", cache_dir=str(tmp_path / "hf"))
    assert ds.num_rows == ROWS and ds.column_names == ["id", "text", "score"]
    assert ds[5]["id"] == 5


def test_tree_row_diff_from_a_file_level_diff(repo):
    from ldv.porcelain.rowdiff import DiffOptions, from_file_diff, summarize_tree
    changes = repo.diff("HEAD~1", "HEAD").changes
    tree = summarize_tree(from_file_diff(changes, repo.plumbing.odb),
                          DiffOptions(key=("id",), threads=1, drift=False))
    assert [f.path for f in tree.files] == ["data.parquet"]
    modified = sum(1 for i in range(300, ROWS) if i % 100 == 0)
    assert tree.counts.to_dict() == {"added": 500, "removed": 300, "modified": modified,
                                     "unchanged": ROWS - 300 - modified}
    assert tree.files[0].diff.old.path == "data.parquet"


def test_chunk_cache_saves_re_decrypting_and_stays_bounded(repo):
    fs = RevisionFileSystem(repo.plumbing, cache_bytes=4 << 20)
    for _ in range(2):
        with fs.open("ldv://HEAD/data.parquet") as f:
            pq.ParquetFile(f).metadata
    assert fs.stats.cache_hits >= 1
    first = fs.stats.chunks
    con = duckdb.connect()
    con.register_filesystem(fs)
    con.execute("SELECT sum(score) FROM 'ldv://HEAD/data.parquet'").fetchall()
    assert fs.stats.chunks > first
    assert fs.odb.cached_bytes <= 4 << 20
    nocache = RevisionFileSystem(repo.plumbing, cache_bytes=0)
    for _ in range(2):
        with nocache.open("ldv://HEAD/data.parquet") as f:
            pq.ParquetFile(f).metadata
    assert nocache.stats.cache_hits == 0 and nocache.stats.chunks >= 2


def test_concurrent_readers_of_the_store(repo):
    from concurrent.futures import ThreadPoolExecutor
    fs = RevisionFileSystem(repo.plumbing, cache_bytes=0)
    oid = bytes.fromhex(fs.info("ldv://HEAD/data.parquet")["oid"])
    ids = [c for c, _ in iter_chunk_ids(repo.plumbing.odb, oid)]
    with ThreadPoolExecutor(4) as ex:
        sizes = list(ex.map(lambda c: len(fs.odb.get(c)[1]), ids * 3))
    assert sum(sizes) == 3 * fs.info("ldv://HEAD/data.parquet")["size"]
    # without a cache each get decodes, unless another thread is decoding that chunk
    assert len(ids) <= fs.stats.chunks <= 3 * len(ids)


def test_pyarrow_reads_through_its_fsspec_handler(repo):
    fs = RevisionFileSystem(repo.plumbing)
    table = pq.read_table("ldv://HEAD~1/data.parquet", filesystem=fs, columns=["id"])
    assert table.num_rows == ROWS and table.column("id").to_pylist()[:3] == [0, 1, 2]


def test_blob_url_reads_a_blob_by_id(repo):
    fs = RevisionFileSystem(repo.plumbing)
    info = fs.info("ldv://HEAD~1/data.parquet")
    url = fs.blob_url(bytes.fromhex(info["oid"]), info["size"])
    with fs.open(url) as f, fs.open("ldv://HEAD~1/data.parquet") as g:
        assert f.read() == g.read()
    assert fs.modified(url).year == 1970 and fs.info(url)["size"] == info["size"]
    con = duckdb.connect()
    con.register_filesystem(fs)
    assert con.execute(f"SELECT count(*) FROM read_parquet('{url}')").fetchall() == [(ROWS,)]


def test_held_chunks_serve_one_later_read(repo):
    fs = RevisionFileSystem(repo.plumbing, cache_bytes=0)   # no LRU: every read decodes
    with fs.open("ldv://HEAD/data.parquet") as f:
        size = f.size
        fs.hold_reads(True)
        f.seek(size // 3)
        first = f.read(300_000)
        fs.hold_reads(False)
        decoded = fs.stats.chunks
        assert fs.odb.held_bytes >= len(first)
        f.seek(size // 3)
        assert f.read(300_000) == first
        assert fs.stats.chunks == decoded        # served by what was held
        assert fs.odb.held_bytes == 0            # each held chunk serves one read
        f.seek(size // 3)
        assert f.read(300_000) == first
        assert fs.stats.chunks > decoded         # then it is gone
        fs.hold_reads(True)
        f.seek(0)
        f.read(size)
        assert 0 < fs.odb.held_bytes <= fs.hold_bytes
        fs.release_held()
        assert fs.odb.held_bytes == 0
    small = RevisionFileSystem(repo.plumbing, cache_bytes=0, hold_bytes=100_000)
    with small.open("ldv://HEAD/data.parquet") as f:
        small.hold_reads(True)
        f.read(size)
        assert small.odb.held_bytes <= 100_000   # chunks over the limit are not held


def test_keyed_diff_decrypts_what_the_key_check_read_once(repo):
    """The duplicate-key pre-check reads the key column, the join every column:
    chunks the pre-check decrypted are held for the join (porcelain/rowdiff/keyed.py)."""
    got = {}
    for hold in (0, 64 << 20):
        fs = RevisionFileSystem(repo.plumbing, cache_bytes=0, hold_bytes=hold)
        d = diff_rows("ldv://HEAD~1/data.parquet", "ldv://HEAD/data.parquet", key=["id"],
                      sample=3, filesystems=(fs,))
        got[hold] = (d.to_dict(), fs.stats.bytes)
        assert fs.odb.held_bytes == 0            # nothing stays held after the diff
    assert got[0][0] == got[64 << 20][0]
    assert got[64 << 20][1] < got[0][1]
