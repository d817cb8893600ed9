"""CPU of reading one file's chunks, by stage, in one process (no file written).

    python benchmarks/read_stages.py --workdir /tmp/co3 [--rev main~5] [--pkg DIR]

On the ldv repository compare_local.py left in ``--workdir`` (ldv-wt): for every
chunk of ``REV:data.jsonl`` on this thread, the CPU of the chain lookup
(index), the ranged reads and decryption, the decoding and the id check; then
the CPU and wall time of ``read_each`` over the same chunks (the checkout's
read path on the worker threads, with a ``then`` that writes nothing).
``--pkg DIR`` imports ldv from an archived copy (``benchmarks/ldv_at.sh COMMIT``
makes ``/tmp/ldv_at/COMMIT/pkg``) for A/B runs; the read_each figure works on
any commit, the stages need PackIndex.chain's link tuples (470d652 on).
"""
from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--workdir", required=True)
    ap.add_argument("--rev", default="main~5")
    ap.add_argument("--path", default="data.jsonl")
    ap.add_argument("--pkg", help="import ldv from this directory")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--no-stages", action="store_true")
    args = ap.parse_args(argv)
    if args.pkg:
        sys.meta_path[:] = [f for f in sys.meta_path if "editable" not in repr(f)]
        sys.path_hooks[:] = [h for h in sys.path_hooks if "editable" not in repr(h)]
        sys.path.insert(0, args.pkg)
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from compare_local import environment
    os.environ.update(environment(Path(args.workdir)))
    from ldv.api import Repository
    from ldv.plumbing import object_store
    from ldv.plumbing.blobs import iter_chunk_ids
    from ldv.porcelain import revparse
    repo = Repository.open(Path(args.workdir) / "ldv-wt")
    odb = repo.plumbing.odb
    ids = [c for c, _n in iter_chunk_ids(odb, revparse.parse(
        repo.plumbing, f"{args.rev}:{args.path}").oid)]
    print(f"ldv from {object_store.__file__}; {len(ids)} chunks of {args.rev}:{args.path}")
    clock = time.thread_time
    for _ in range(args.repeat):
        if not args.no_stages:
            codec = object_store._thread_codec(odb.codec.level)
            acc, c0 = [0.0] * 4, clock()
            for cid in ids:
                t0 = clock()
                links, bottom = odb._chain_links(cid)
                t1 = clock()
                bodies = odb._read_bodies(links)
                t2 = clock()
                bodies.reverse()
                plain = codec.decode_chain(
                    [(link[3], b) for link, b in zip(reversed(links), bodies)], bottom)
                t3 = clock()
                if odb.hasher.oid(links[0][2], plain) != cid:
                    raise SystemExit(f"chunk {cid.hex()} does not match its id")
                t4 = clock()
                for k, dt in enumerate((t1 - t0, t2 - t1, t3 - t2, t4 - t3)):
                    acc[k] += dt
            print(f"stages, one thread: {clock() - c0:.3f} s CPU = chain lookup "
                  f"{acc[0]:.3f} + read and decrypt {acc[1]:.3f} + decode {acc[2]:.3f} "
                  f"+ id check {acc[3]:.3f}  (load {os.getloadavg()[0]:.2f})")
        odb.index = None
        w0, c0 = time.perf_counter(), time.process_time()
        n = sum(odb.read_each(((c, None) for c in ids), lambda _t, _ty, d: len(d)))
        print(f"read_each: {n} bytes, {time.perf_counter() - w0:.3f} s wall "
              f"{time.process_time() - c0:.3f} s CPU  (load {os.getloadavg()[0]:.2f})",
              flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
