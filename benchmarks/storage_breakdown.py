"""Where the bytes of a repository's .ldv/objects go (issue 3's six-version target).

    python benchmarks/storage_breakdown.py WORKTREE [--key HEX] [--path data.jsonl]

Opens the repository (key: --key, default compare_local.py's), walks the first-parent
history of HEAD and splits the stored bytes into: pack preambles, trailers and
encrypted headers; the pack index file; and the entries (ciphertext = body + 16-byte
GCM tag) by kind: chunks of the newest version, older chunks stored as deltas,
older chunks stored full (a cut moved: nothing newer was a close enough base), blob
nodes and other metadata.  For the full older chunks it also tells whether the
newer version's chunks overlapping the same region (aligned by shared chunks) could
have served as a base.  Nothing is changed.
"""
from __future__ import annotations

import argparse
import sys
from collections import Counter, defaultdict
from pathlib import Path

from ldv.plumbing.blobs import iter_chunk_ids, iter_node_ids
from ldv.plumbing.keys import MasterKey
from ldv.plumbing.objects import read_commit
from ldv.plumbing.odb import ObjType
from ldv.plumbing.pack import PREAMBLE_LEN, TRAILER, pack_path
from ldv.plumbing.repository import Repo
from ldv.plumbing.trees import lookup

KEY = "5a" * 32
TAG = 16


def history(repo, path: str) -> list[tuple[bytes, list[tuple[bytes, int]], list[bytes]]]:
    """(blob, chunks, nodes) of ``path`` per first-parent commit, oldest first."""
    out, oid = [], repo.refs.read("HEAD")
    while oid is not None:
        c = read_commit(repo.odb, oid)
        e = lookup(repo.odb, c.tree, path)
        if e is not None:
            out.append((e.oid, list(iter_chunk_ids(repo.odb, e.oid)),
                        list(iter_node_ids(repo.odb, e.oid))))
        oid = c.parents[0] if c.parents else None
    return out[::-1]


def breakdown(root: Path, key: str, path: str) -> dict:
    repo = Repo.open(root, MasterKey.from_hex(key))
    odb, backend = repo.odb, repo.odb.backend
    versions = history(repo, path)
    newest = {c for c, _ in versions[-1][1]}
    last_seen: dict[bytes, int] = {}
    for v, (_b, chunks, _n) in enumerate(versions):
        for c, _ in chunks:
            last_seen[c] = v
    nodes = {n for _b, _c, ns in versions for n in ns} | {b for b, _c, _n in versions}
    sizes: Counter = Counter()
    counts: Counter = Counter()
    packs = odb.index.pack_names()
    for name, _kind in packs:
        p = pack_path(name)
        size = backend.size(p)
        (hlen,) = TRAILER.unpack(backend.get(p, size - TRAILER.size, TRAILER.size))
        sizes["pack preamble+trailer"] += PREAMBLE_LEN + TRAILER.size
        sizes["pack headers (encrypted)"] += hlen
        sizes["packs total"] += size
    full_old = []
    for oid in odb.index.ids():
        _pack, e = odb.index.lookup(oid)
        if e.type == ObjType.CHUNK:
            if oid in newest:
                k = "chunk newest " + ("delta" if e.base else "full")
            elif e.base:
                k = "chunk older delta"
            else:
                k = "chunk older FULL"
                full_old.append((oid, e))
        elif oid in nodes:
            k = "blob/blobnode"
        else:
            k = f"meta type {e.type}"
        sizes[k + " body"] += e.length - TAG
        sizes[k + " tags"] += TAG
        counts[k] += 1
    sizes["pack-index file"] = (root / ".ldv" / "objects" / "pack-index").stat().st_size
    return {"versions": versions, "sizes": sizes, "counts": counts, "full_old": full_old,
            "last_seen": last_seen, "repo": repo}


def explain_full(r: dict) -> list[str]:
    """For each older chunk stored full: its version and what replaced its bytes."""
    versions, lines = r["versions"], []
    for oid, e in r["full_old"]:
        v = r["last_seen"].get(oid)
        if v is None:
            lines.append(f"  {oid.hex()[:12]} {e.length:>7} B  not in any version's blob")
            continue
        chunks = versions[v][1]
        i = next(k for k, (c, _) in enumerate(chunks) if c == oid)
        after = versions[v + 1][1]
        shared = {c for c, _ in after}
        # neighbours in version v that survive into v+1 bound the replaced region
        lo = i
        while lo > 0 and chunks[lo - 1][0] not in shared:
            lo -= 1
        hi = i
        while hi + 1 < len(chunks) and chunks[hi + 1][0] not in shared:
            hi += 1
        run_old = hi - lo + 1
        prev = chunks[lo - 1][0] if lo > 0 else None
        nxt = chunks[hi + 1][0] if hi + 1 < len(chunks) else None
        ids = [c for c, _ in after]
        a = ids.index(prev) + 1 if prev in ids else 0
        b = ids.index(nxt) if nxt in ids else len(ids)
        lines.append(f"  {oid.hex()[:12]} {e.length:>7} B  v{v + 1}, chunk {i}: a run of "
                     f"{run_old} old chunks replaced by {b - a} new ones in v{v + 2}")
    return lines


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("worktree", type=Path)
    ap.add_argument("--key", default=KEY)
    ap.add_argument("--path", default="data.jsonl")
    ap.add_argument("--v1", type=int, help="bytes stored for the first version, for %")
    ap.add_argument("--verbose", action="store_true", help="list the full older chunks")
    args = ap.parse_args(argv)
    r = breakdown(args.worktree, args.key, args.path)
    sizes, counts = r["sizes"], r["counts"]
    total = sizes["packs total"] + sizes["pack-index file"]
    ref = args.v1 or total
    print(f"versions: {len(r['versions'])}, chunks per version: "
          f"{[len(c) for _b, c, _n in r['versions']]}")
    print(f"total .ldv/objects (packs + index): {total:,} B; % of {'v1' if args.v1 else 'total'}")
    for k in sorted(sizes):
        if k in ("packs total",):
            continue
        n = counts.get(k.rsplit(" ", 1)[0])
        extra = f"  ({n} objects)" if n and k.endswith("body") else ""
        print(f"  {k:32} {sizes[k]:>12,}  {100 * sizes[k] / ref:6.3f}%{extra}")
    if args.verbose:
        print("older chunks stored full:")
        print("\n".join(explain_full(r)))
    r["repo"].close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
