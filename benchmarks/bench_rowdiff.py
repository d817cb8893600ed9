"""Row diff of two versions of a large Parquet file, ldv's engine against plain DuckDB.

Target (issue 6): a keyed row diff of a 10M-row (~1 GB) Parquet within 1.5x of
the same DuckDB query on the plaintext files, peak memory under 2x the larger
file.  Each measurement runs in its own process so its peak RSS is its own; its
CPU time (user + system, all threads) is reported too, since wall time on a
shared machine mostly measures the neighbours.

    python benchmarks/bench_rowdiff.py --rows 1000000 [--repeat 3] [--dir /tmp/x]
        [--modes plain,counts,ldv,pyfs,decode] [--repo PATH] [--store-raw] [--zstd-check]

Modes (peak RSS is also reported net of an idle interpreter with DuckDB loaded):
  plain    the DuckDB query a user would write: FULL OUTER JOIN on id, counting
           added, removed and rows whose value columns differ (a reference)
  counts   ldv's diff_rows(key=id, sample=5, drift=False) on the plaintext files:
           the engine's SQL (the same queries ``ldv`` runs) outside ldv, so the
           peer of ``ldv``; counts plus per-column counts, key checks, a sample
  full     diff_rows(key=id) with per-column drift statistics as well: the peer
           of ``ldvfull`` and ``cli``
  ldv      ``counts`` on the two versions committed to an ldv repository, read
           through ldv://HEAD~1/... and ldv://HEAD/... (decrypting as DuckDB reads)
  ldvfull  ``full`` through ldv://
  cli      ``ldv diff HEAD~1 HEAD --rows --key id --format json`` (drift on, as
           the command's default), run in the child process
  footer   pyarrow reads the new version's Parquet metadata through ldv:// (issue:
           "decrypts only a handful of chunks and stays under 100 MiB RSS")
  pyfs     a floor, not a mode of ldv: ``counts`` with DuckDB reading the plaintext
           files through a Python (fsspec) filesystem from memory, as it reads
           ldv:// but with nothing to decrypt (its peak RSS holds both files)
  decode   a floor: every chunk of both committed versions read, decrypted,
           decompressed and id-checked once, on one thread, no DuckDB

``work_cpu`` is the CPU time of the measured work alone (after imports and, for
pyfs, after loading the files into memory); ``cpu`` includes everything.
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

VALUE_COLS = ("text", "score", "label")
BENCH_KEY = "44" * 32  # a fixed master key: the benchmark repository is throwaway

PLAIN_SQL = """
SELECT count(*) FILTER (o.id IS NULL) AS added,
       count(*) FILTER (n.id IS NULL) AS removed,
       count(*) FILTER (o.id IS NOT NULL AND n.id IS NOT NULL AND (
           o.text IS DISTINCT FROM n.text OR o.score IS DISTINCT FROM n.score
           OR o.label IS DISTINCT FROM n.label)) AS modified
FROM read_parquet('{old}') o FULL OUTER JOIN read_parquet('{new}') n ON o.id = n.id
"""


def generate(directory: Path, rows: int) -> tuple[Path, Path]:
    """Two versions: 1% removed, 1% modified, 1% added; deterministic (hash-based)."""
    import duckdb
    old, new = directory / f"old-{rows}.parquet", directory / f"new-{rows}.parquet"
    if old.exists() and new.exists():
        return old, new
    con = duckdb.connect()
    base = f"""SELECT range AS id,
                      md5(range::VARCHAR) || md5((range * 7)::VARCHAR) AS text,
                      (hash(range) % 100000) / 1000.0 AS score,
                      (hash(range * 3) % 10)::INTEGER AS label
               FROM range({rows})"""
    con.execute(f"COPY ({base}) TO '{old}' (FORMAT parquet)")
    con.execute(f"""COPY (
        SELECT id, CASE WHEN id % 100 = 1 THEN text || '!' ELSE text END AS text,
               score, label FROM ({base}) WHERE id % 100 <> 0
        UNION ALL
        SELECT {rows} + range, md5(range::VARCHAR), 1.0, 1 FROM range({rows // 100})
        ) TO '{new}' (FORMAT parquet)""")
    con.close()
    return old, new


def commit_versions(directory: Path, old: Path, new: Path, raw: bool = False) -> Path:
    """An ldv repository with ``old`` then ``new`` committed as data.parquet.

    ``raw``: an experiment, not a mode of ldv: every chunk stored without zstd
    (plumbing/delta.py's PAYS set to 0 in this process), to measure what a
    "no zstd on Parquet" storage rule would save the reads."""
    import shutil

    import ldv
    from ldv.plumbing import delta
    from ldv.plumbing.keys import MasterKey
    from ldv.porcelain.worktree import Identity
    if raw:
        delta.PAYS = 0.0
    root = directory / f"repo-{'raw-' if raw else ''}{old.stem.split('-')[-1]}"
    if (root / ".ldv").exists():
        return root
    me = Identity("bench", "bench@example.org")
    repo, _ = ldv.Repository.init(root, key=MasterKey.from_hex(BENCH_KEY))
    with repo:
        for i, src in enumerate((old, new)):
            shutil.copyfile(src, root / "data.parquet")
            repo.add(["data.parquet"])
            repo.commit(f"version {i + 1}", author=me, now=1_700_000_000 + i)
    (root / "data.parquet").unlink()  # the diff must read the repository, not this
    return root


def zstd_check(directory: Path, old: Path, mb: int = 150) -> dict:
    """How much the store's zstd (Codec level 1, encode_full's PAYS rule) shrinks
    256 KiB pieces of the old version as written (DuckDB's default, snappy) and
    of the same rows written as zstd Parquet, and its decode speed (CPU)."""
    import duckdb

    from ldv.plumbing.delta import Codec, Encoding
    zpath = directory / f"{old.stem}-zstd.parquet"
    if not zpath.exists():
        duckdb.connect().execute(f"COPY (SELECT * FROM read_parquet('{old}')) TO "
                                 f"'{zpath}' (FORMAT parquet, COMPRESSION zstd)")
    codec, piece, out = Codec(), 256 << 10, {}
    for name, path in (("snappy", old), ("zstd", zpath)):
        with open(path, "rb") as f:
            data = f.read(mb << 20)
        pieces = [data[i:i + piece] for i in range(0, len(data), piece)]
        encoded = [codec.encode_full(p) for p in pieces]
        t = time.process_time()
        for enc, body in encoded:
            codec.decode(enc, body)
        cpu = time.process_time() - t
        out[name] = {"bytes": len(data), "pieces": len(pieces),
                     "kept_zstd": sum(e == Encoding.ZSTD for e, _ in encoded),
                     "stored_over_raw": round(sum(len(b) for _, b in encoded) / len(data), 3),
                     "decode_mb_per_cpu_s": round(len(data) / cpu / 1e6) if cpu else None}
    zpath.unlink()
    return out


_CPU_AT_START = time.process_time()   # before the child imports anything heavy


def _child(mode: str, old: str, new: str, threads: int) -> dict:
    """Run one measurement in this (fresh) process."""
    t0 = time.perf_counter()
    work = None      # CPU time when the measured work starts (after the imports)
    if mode == "idle":  # the interpreter with DuckDB loaded, no work (ldv's own
        import duckdb    # imports count against ldv)
        duckdb.connect().execute("SELECT 1").fetchall()
        result = {}
    elif mode == "plain":
        import duckdb
        work = time.process_time()
        con = duckdb.connect(config={"threads": threads})
        row = con.execute(PLAIN_SQL.format(old=old, new=new)).fetchall()[0]
        result = dict(zip(("added", "removed", "modified"), row))
    elif mode == "footer":
        import pyarrow.parquet as pq

        import ldv
        from ldv.porcelain.revfs import RevisionFileSystem
        with ldv.Repository.open(old, key=BENCH_KEY) as repo:
            fs = RevisionFileSystem(repo.plumbing)
            with fs.open("ldv://HEAD/data.parquet") as f:
                rows = pq.ParquetFile(f).metadata.num_rows
        result = {"rows": rows, "chunks_decrypted": fs.stats.chunks,
                  "bytes_decrypted": fs.stats.bytes}
    elif mode == "pyfs":
        from fsspec.implementations.memory import MemoryFileSystem

        from ldv.porcelain.rowdiff import diff_rows
        mem = MemoryFileSystem()
        for name, path in (("old", old), ("new", new)):
            mem.pipe(f"/bench-{name}.parquet", Path(path).read_bytes())
        work = time.process_time()
        d = diff_rows("memory://bench-old.parquet", "memory://bench-new.parquet",
                      key=["id"], sample=5, drift=False, threads=threads,
                      filesystems=(mem,))
        result = {"added": d.counts.added, "removed": d.counts.removed,
                  "modified": d.counts.modified}
    elif mode == "decode":
        import ldv
        from ldv.plumbing.blobs import iter_chunk_ids
        from ldv.porcelain.revfs import RevisionFileSystem
        with ldv.Repository.open(old, key=BENCH_KEY) as repo:
            fs = RevisionFileSystem(repo.plumbing)
            odb = repo.plumbing.odb
            oids = [oid for url in ("ldv://HEAD~1/data.parquet", "ldv://HEAD/data.parquet")
                    for oid, _n in iter_chunk_ids(odb, fs._resolve(url).oid)]
            work = time.process_time()
            plain = sum(len(odb.get(oid)[1]) for oid in oids)
        result = {"chunks_decrypted": len(oids), "bytes_decrypted": plain}
    elif mode == "cli":
        import contextlib
        import io

        from ldv.cli.main import cli as ldv_cli
        os.environ["LDV_MASTER_KEY"] = BENCH_KEY
        buf = io.StringIO()
        work = time.process_time()   # the command's own imports count (lazy)
        with contextlib.redirect_stdout(buf):
            code = ldv_cli.main(["-C", old, "diff", "HEAD~1", "HEAD", "--rows", "--key", "id",
                             "--format", "json"], standalone_mode=False)
        doc = json.loads(buf.getvalue())
        got = doc["files"][0]["diff"]["counts"]
        result = {"added": got["added"], "removed": got["removed"],
                  "modified": got["modified"], "exit": code}
    elif mode in ("ldv", "ldvfull"):
        import ldv
        from ldv.porcelain.revfs import RevisionFileSystem
        from ldv.porcelain.rowdiff import diff_rows
        work = time.process_time()
        with ldv.Repository.open(old, key=BENCH_KEY) as repo:  # ``old`` is the repo here
            fs = RevisionFileSystem(repo.plumbing)
            d = diff_rows("ldv://HEAD~1/data.parquet", "ldv://HEAD/data.parquet",
                          key=["id"], sample=5, drift=(mode == "ldvfull"),
                          threads=threads, filesystems=(fs,))
        result = {"added": d.counts.added, "removed": d.counts.removed,
                  "modified": d.counts.modified, "chunks_decrypted": fs.stats.chunks,
                  "bytes_decrypted": fs.stats.bytes}
    else:
        from ldv.porcelain.rowdiff import diff_rows
        work = time.process_time()
        d = diff_rows(old, new, key=["id"], sample=5, drift=(mode == "full"),
                      threads=threads)
        result = {"added": d.counts.added, "removed": d.counts.removed,
                  "modified": d.counts.modified}
    seconds = time.perf_counter() - t0
    ru = resource.getrusage(resource.RUSAGE_SELF)
    result["cpu_seconds"] = ru.ru_utime + ru.ru_stime   # includes imports
    result["work_cpu_seconds"] = time.process_time() - (work if work is not None
                                                         else _CPU_AT_START)
    # VmHWM: ru_maxrss survives exec and would include the parent's peak.
    rss_kib = next(int(l.split()[1]) for l in open("/proc/self/status")
                   if l.startswith("VmHWM:"))
    return {"mode": mode, "seconds": seconds, "peak_rss": rss_kib * 1024, **result}


def measure(mode: str, old: Path, new: Path, threads: int) -> dict:
    out = subprocess.run([sys.executable, __file__, "--child", mode, str(old), str(new),
                          "--threads", str(threads)],
                         capture_output=True, text=True, check=True, timeout=3600)
    return json.loads(out.stdout)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--threads", type=int, default=os.cpu_count() or 1)
    ap.add_argument("--dir", type=Path, default=None)
    ap.add_argument("--modes", default="plain,counts,full,ldv,ldvfull,cli")
    ap.add_argument("--repo", type=Path, default=None,
                    help="an existing repository with the two versions (else one is made)")
    ap.add_argument("--store-raw", action="store_true",
                    help="experiment: a repository whose chunks are stored without zstd")
    ap.add_argument("--zstd-check", action="store_true",
                    help="only measure how much the store's zstd shrinks Parquet pieces")
    ap.add_argument("--child", nargs=3, metavar=("MODE", "OLD", "NEW"))
    args = ap.parse_args(argv)
    if args.child:
        sys.stdout.write(json.dumps(_child(*args.child, args.threads)))
        return 0
    directory = args.dir or Path(tempfile.mkdtemp(prefix="ldv-bench-rowdiff-"))
    directory.mkdir(parents=True, exist_ok=True)
    old, new = generate(directory, args.rows)
    if args.zstd_check:
        sys.stdout.write(json.dumps(zstd_check(directory, old), indent=2) + "\n")
        return 0
    repo = args.repo or commit_versions(directory, old, new, raw=args.store_raw)
    larger = max(old.stat().st_size, new.stat().st_size)
    runs: dict[str, list[dict]] = {m: [] for m in args.modes.split(",")}
    loads = []
    for _ in range(args.repeat):  # interleaved, so machine load hits every mode alike
        for mode in runs:
            on_repo = mode.startswith("ldv") or mode in ("cli", "decode")
            a, b = (repo, repo) if on_repo else (old, new)
            loads.append(open("/proc/loadavg").read().split()[0])
            runs[mode].append(measure(mode, a, b, args.threads))
    footer = measure("footer", repo, repo, args.threads)  # after the interleaved runs
    counted = [rs for rs in runs.values() if "added" in rs[0]]
    expected = {k: counted[0][0][k] for k in ("added", "removed", "modified")} if counted else {}
    idle = measure("idle", old, new, args.threads)["peak_rss"]
    report = {"rows": args.rows, "threads": args.threads, "larger_file_bytes": larger,
              "idle_rss_bytes": idle, "load_averages": " ".join(loads)}
    peer = {"ldv": "counts", "ldvfull": "full", "cli": "full", "pyfs": "counts",
            "decode": "counts"}
    for mode, rs in runs.items():
        assert mode == "decode" or all({k: r[k] for k in expected} == expected
                                       for r in rs), (mode, rs)
        secs = statistics.median(r["seconds"] for r in rs)
        cpu = statistics.median(r["cpu_seconds"] for r in rs)
        peak = max(r["peak_rss"] for r in rs)
        report[mode] = {"seconds_median": round(secs, 3), "cpu_median": round(cpu, 3),
                        "work_cpu_median": round(statistics.median(
                            r["work_cpu_seconds"] for r in rs), 3),
                        "seconds_each": [round(r["seconds"], 2) for r in rs],
                        "peak_rss_bytes": peak,
                        "peak_rss_over_larger_file": round(peak / larger, 3),
                        # what the diff itself adds over an idle interpreter
                        "net_rss_over_larger_file": round((peak - idle) / larger, 3)}
        for ref in ("plain", peer.get(mode)):
            if ref in runs and ref != mode:
                # each run against the peer run next to it, then the median
                wall = [r["seconds"] / p["seconds"] for r, p in zip(rs, runs[ref])]
                cpus = [r["cpu_seconds"] / p["cpu_seconds"] for r, p in zip(rs, runs[ref])]
                report[mode][f"time_vs_{ref}"] = round(statistics.median(wall), 3)
                report[mode][f"cpu_vs_{ref}"] = round(statistics.median(cpus), 3)
                works = [r["work_cpu_seconds"] / p["work_cpu_seconds"]
                         for r, p in zip(rs, runs[ref])]
                report[mode][f"work_cpu_vs_{ref}"] = round(statistics.median(works), 3)
        if "chunks_decrypted" in rs[0]:
            report[mode]["chunks_decrypted"] = rs[0]["chunks_decrypted"]
            report[mode]["bytes_decrypted"] = rs[0]["bytes_decrypted"]
    report["expected_counts"] = expected
    report["footer"] = {k: footer[k] for k in ("seconds", "peak_rss", "chunks_decrypted",
                                               "bytes_decrypted")}
    sys.stdout.write(json.dumps(report, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
