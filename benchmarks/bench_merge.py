"""Record merge of two large JSONL versions: wall time and peak RSS.

Target (issue 5): a merge of two 1M-record JSONL versions peaks under 1 GiB RSS.
The data (base, ours, theirs; ~150 bytes a record) is generated here, streaming:
ours edits 1% of the records, deletes 0.1% and appends 1%; theirs does the same
to other records, and 100 records are edited on both sides differently (100
conflicts).  Each merge runs in its own process, so its peak RSS is its own.

    python benchmarks/bench_merge.py --records 1000000 [--key id|none|both]
                                     [--format jsonl|parquet|csv|all] [--dir D]

Modes: ``--key id`` (DuckDB join on the key) and ``--key none`` (positional merge
on the xdiff alignment of record digests); ``--format parquet`` or ``csv``
converts the same data first.
"""
from __future__ import annotations

import argparse
import json
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

WORDS = [w.encode() for w in
         "alpha beta gamma delta epsilon zeta eta theta iota kappa lambda mu".split()]
BOTH = 100


def _record(i: int, rng: random.Random, tag: bytes = b"") -> bytes:
    text = b" ".join(rng.choices(WORDS, k=12)) + tag
    return b'{"id": %d, "text": "%s", "score": %.5f, "label": "%s"}' % (
        i, text, rng.random(), rng.choice(WORDS))


def generate(d: Path, n: int, seed: int = 5) -> tuple[Path, Path, Path]:
    """Write base, ours and theirs to ``d`` without holding a version in memory."""
    rng = random.Random(seed)
    picks = rng.sample(range(n), n // 50 + n // 500 + BOTH)
    k = n // 100
    edit_o, edit_t = set(picks[:k]), set(picks[k:2 * k])
    dels = n // 1000
    del_o = set(picks[2 * k:2 * k + dels // 2])
    del_t = set(picks[2 * k + dels // 2:2 * k + dels])
    both = set(picks[2 * k + dels:2 * k + dels + BOTH])
    paths = [d / f"{name}.jsonl" for name in ("base", "ours", "theirs")]
    files = [open(p, "wb") for p in paths]
    try:
        for i in range(n):
            r = _record(i, random.Random(i))
            files[0].write(r + b"\n")
            o = t = r
            if i in edit_o or i in both:
                o = _record(i, rng, b" ours")
            if i in edit_t or i in both:
                t = _record(i, rng, b" theirs")
            if i not in del_o:
                files[1].write(o + b"\n")
            if i not in del_t:
                files[2].write(t + b"\n")
        for f, start in ((files[1], n), (files[2], 2 * n)):
            for j in range(k):
                f.write(_record(start + j, rng) + b"\n")
    finally:
        for f in files:
            f.close()
    return tuple(paths)


def convert(d: Path, fmt: str) -> None:
    """The same three versions as Parquet (DuckDB's writer: 122,880-row groups) or
    CSV with a header row."""
    import duckdb
    options = "FORMAT parquet" if fmt == "parquet" else "FORMAT csv, HEADER"
    for name in ("base", "ours", "theirs"):
        duckdb.sql(f"COPY (SELECT * FROM read_json('{d / name}.jsonl', "
                   f"format='newline_delimited')) TO '{d / name}.{fmt}' ({options})")


def _vm_hwm() -> int:
    """This process's peak RSS in bytes."""
    with open("/proc/self/status") as f:
        return next(int(l.split()[1]) * 1024 for l in f if l.startswith("VmHWM:"))


def child(d: Path, key: str | None, fmt: str) -> None:
    from ldv.porcelain.merge.recordmerge import merge_records
    t0 = time.perf_counter()
    res = merge_records(d / f"base.{fmt}", d / f"ours.{fmt}", d / f"theirs.{fmt}",
                        d / f"out-{key}.{fmt}", fmt=fmt, key=key)
    wall = time.perf_counter() - t0
    ru = resource.getrusage(resource.RUSAGE_SELF)
    # VmHWM: ru_maxrss survives exec and would include the parent's peak.
    peak = _vm_hwm()
    s = res.stats
    print(json.dumps({"format": fmt, "key": key, "seconds": round(wall, 2),
                      "cpu_seconds": round(ru.ru_utime + ru.ru_stime, 2),
                      "peak_rss_mib": round(peak / 2**20, 1),
                      "conflicts": s.conflicts, "out": s.out,
                      "changed_ours": s.changed_ours, "changed_theirs": s.changed_theirs,
                      "added": [s.added_ours, s.added_theirs],
                      "deleted": [s.deleted_ours, s.deleted_theirs]}))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--records", type=int, default=1_000_000)
    ap.add_argument("--key", choices=["id", "none", "both"], default="both")
    ap.add_argument("--format", choices=["jsonl", "parquet", "csv", "all"], default="jsonl")
    ap.add_argument("--dir", type=Path)
    ap.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    a = ap.parse_args()
    if a.child:
        child(a.dir, None if a.key == "none" else a.key, a.format)
        return
    with tempfile.TemporaryDirectory(dir=a.dir) as tmp:
        d = Path(tmp)
        t0 = time.perf_counter()
        generate(d, a.records)
        size = (d / "ours.jsonl").stat().st_size
        print(f"generated {a.records} records ({size / 2**20:.0f} MiB a version) "
              f"in {time.perf_counter() - t0:.1f}s", flush=True)
        fmts = ["jsonl", "parquet", "csv"] if a.format == "all" else [a.format]
        for fmt in fmts:
            if fmt != "jsonl":
                convert(d, fmt)
        for fmt in fmts:
            for key in (["id", "none"] if a.key == "both" else [a.key]):
                out = subprocess.run([sys.executable, __file__, "--child", "--dir", str(d),
                                      "--key", key, "--format", fmt], capture_output=True,
                                     text=True, timeout=1800)
                print(out.stdout.strip() or out.stderr[-2000:], flush=True)


if __name__ == "__main__":
    main()
