"""Where the bytes of a repository's .ldv/objects go (issue 3's six-version target).

    python benchmarks/storage_breakdown.py WORKTREE [--key HEX] [--path data.jsonl]

Opens the repository (key: --key, default compare_local.py's), walks the first-parent
history of HEAD and splits the stored bytes into: pack preambles, trailers and
encrypted headers; the pack index file; and the entries (ciphertext = body + 16-byte
GCM tag) by kind: chunks of the newest version, older chunks stored as deltas,
older chunks stored full (a cut moved: nothing newer was a close enough base), blob
nodes and other metadata.  For the full older chunks it also tells whether the
newer version's chunks overlapping the same region (aligned by shared chunks) could
have served as a base.  With --moved-cuts: the deltas over 2 KB (an old chunk whose
cut moved, stored against the one new chunk holding most of its bytes) and what
they would take against the concatenation of all new chunks overlapping them (what
deltas with several bases would store).  Nothing is changed.
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


def moved_cuts(r: dict) -> tuple[int, int, int]:
    """(count, bytes now, bytes against the concatenated overlapping new chunks)
    of the older chunks stored as deltas over 2 KB."""
    from ldv.plumbing.delta import REPACK_DELTA_LEVEL, Codec
    odb, versions = r["repo"].odb, r["versions"]
    codec, count, now, multi = Codec(1, REPACK_DELTA_LEVEL), 0, 0, 0
    for v in range(len(versions) - 1):
        old, new = versions[v][1], versions[v + 1][1]
        new_at, starts, pos = {}, [], 0
        for j, (c, n) in enumerate(new):
            new_at[c], pos = j, pos + n
            starts.append(pos - n)
        old_pos, pos = [], 0
        for _c, n in old:
            old_pos.append(pos)
            pos += n
        for i, (c, n) in enumerate(old):
            e = odb.index.lookup(c)[1]
            if c in new_at or e.base is None or e.length <= 2000:
                continue
            # the nearest earlier chunk edited in place (or kept) fixes the shift
            k = i - 1
            while k >= 0:
                j = new_at.get(old[k][0], new_at.get(odb.index.lookup(old[k][0])[1].base))
                if j is not None and abs(new[j][1] - old[k][1]) <= max(64, old[k][1] // 512):
                    break
                k -= 1
            if k < 0:
                continue
            shift = starts[j] + new[j][1] - (old_pos[k] + old[k][1])
            lo, hi = old_pos[i] + shift - 4096, old_pos[i] + n + shift + 4096
            over = [jj for jj in range(len(new)) if starts[jj] < hi and starts[jj] + new[jj][1] > lo]
            base = b"".join(odb.get(new[jj][0])[1] for jj in over)
            count, now = count + 1, now + e.length
            multi += len(codec.encode_delta(base, odb.get(c)[1])) + TAG
    return count, now, multi


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("worktree", type=Path)
    ap.add_argument("--key", default=KEY)
    ap.add_argument("--path", default="data.jsonl")
    ap.add_argument("--v1", type=int, help="bytes stored for the first version, for %")
    ap.add_argument("--verbose", action="store_true", help="list the full older chunks")
    ap.add_argument("--moved-cuts", action="store_true",
                    help="deltas over 2 KB, and their size against several bases")
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
    if args.moved_cuts:
        count, now, multi = moved_cuts(r)
        print(f"older chunks as deltas over 2 KB: {count}, {now:,} B; against the "
              f"concatenated new chunks overlapping them: {multi:,} B")
    r["repo"].close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
