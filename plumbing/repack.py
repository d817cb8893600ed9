"""Repack: rewrite the live objects into fresh packs, newest versions full.

At put time a new version is stored as a delta against the old one, so the newest
version is the deepest.  Repack turns each chain around, as git's pack does: the
newest version is stored full and each older version as a delta against the next
newer one, so reading the current data costs one decompression.  Chains stay
bounded by ``max_depth``; bases of kept deltas are always kept objects, so dropped
objects never strand a delta.

Which end of a chain is newest: the one written last.  Put writes a new version
after its base, and repack writes each chain oldest first (encoding it newest
first), so write order (pack order in the index, then offset) stays version order
and a second repack keeps the newest version full instead of turning it around
again.
"""
from __future__ import annotations

import threading
from collections import deque
from pathlib import Path

from .blobs import iter_chunk_ids
from .delta import REPACK_DELTA_LEVEL, Codec, Encoding
from .delta_base import newer_counterparts
from .errors import CorruptObject, ObjectNotFound
from .lock import Lock
from .odb import ObjType
from .pack import pack_path
from .pack_index import PackIndex


def _write_order(entries: dict, pack_order: dict[str, int]):
    """Key of an object's place in the old packs (pack order, then offset)."""
    def written(o: bytes) -> tuple[int, int]:
        return pack_order.get(entries[o][0], -1), entries[o][1].offset
    return written


def _chains(entries: dict, pack_order: dict[str, int]) -> list[list[bytes]]:
    """Live objects as chains, newest first, each object exactly once."""
    newer: dict[bytes, list[bytes]] = {}
    for oid, (_pack, e) in entries.items():
        if e.enc == Encoding.DELTA and e.base in entries:
            newer.setdefault(e.base, []).append(oid)
    written = _write_order(entries, pack_order)
    # keep the old pack order so that a file's chunks stay together
    tips = sorted((oid for oid in entries if oid not in newer), key=written)
    seen: set[bytes] = set()
    chains = []
    for tip in tips:
        chain, node = [], tip
        while node is not None and node in entries and node not in seen:
            seen.add(node)
            chain.append(node)
            e = entries[node][1]
            node = e.base if e.enc == Encoding.DELTA else None
        if written(chain[-1]) > written(chain[0]):
            chain.reverse()     # a repacked chain: its full end is the newest
        chains.append(chain)
    # objects on a cycle-free graph are all reached from tips; anything left is a
    # base whose newer versions were already claimed by another chain
    for oid in sorted(set(entries) - seen, key=written):
        chains.append([oid])
    return chains


def repack(store, live: set[bytes], max_depth: int) -> dict:
    """Rewrite ``live`` objects of ``store`` into new packs; delete the old packs."""
    from .object_store import PackedObjectDatabase
    store.flush()
    entries = {}
    for oid in live:
        hit = store.index.lookup(oid)
        if hit is None:
            raise ObjectNotFound(f"object {oid.hex()} is live but not stored",
                                 hint="run `ldv fsck`; repack did not change anything")
        entries[oid] = hit
    old_packs = [name for name, _kind in store.index.pack_names()]
    before = sum(store.backend.size(pack_path(p)) for p in old_packs)
    tmp_index = Path(str(store.index.path) + ".repack")
    tmp_index.unlink(missing_ok=True)
    sink = PackedObjectDatabase(store.backend, store.keyring, tmp_index, store.lock_dir,
                                level=store.codec.level, pack_size=store.pack_size,
                                max_depth=max_depth)
    order = {name: i for i, (name, _kind) in enumerate(store.index.pack_names())}
    chains = _chains(entries, order)
    alt = _moved_cut_bases(store, entries, chains, _write_order(entries, order))
    deltas = _write_chains(store, sink, chains, max_depth, alt)
    sink.close()
    with Lock(store.lock_dir / "index", timeout=30, what="the pack index"):
        tmp_index.replace(store.index.path)
        store.index = PackIndex(store.index.path)
    new_packs = {name for name, _kind in store.index.pack_names()}
    for p in old_packs:
        if p not in new_packs:
            store.backend.delete(pack_path(p))
    store._ciphers.clear()
    after = sum(store.backend.size(pack_path(p)) for p in new_packs)
    return {"objects": len(entries), "deltas": deltas, "packs_before": len(old_packs),
            "packs_after": len(new_packs), "bytes_before": before, "bytes_after": after}


def _moved_cut_bases(store, entries: dict, chains: list[list[bytes]], written) -> dict:
    """Older chunk -> chunks of the file's next version to try as its base.

    Chains pair each chunk with the newer one stored as a delta against it,
    which covers a chunk edited in place.  Where a cut moved, an old chunk has
    no newer counterpart (two old chunks merged into one new one: the second
    would be stored full), or its chain's newer chunk covers only part of it.
    Here the blobs say which new chunk holds most of its bytes: blobs are
    paired with their next version by the chain links between their chunks
    and the chunks they share (the later written is newer), and their chunk
    lists aligned (delta_base.newer_counterparts).

    Returns older id -> [(base id, a bound on the base's depth), ...].  A base
    is in another chain, and one whose chain leads back to the older one's
    chain is not offered, so no cycle can form (_depth_bounds)."""
    blobs = {}
    for oid, (_pack, e) in entries.items():
        if e.type == ObjType.BLOB:
            try:
                blobs[oid] = list(iter_chunk_ids(store, oid))
            except (ObjectNotFound, CorruptObject):
                continue      # gc in a partial clone; fsck reports damage
    if len(blobs) < 2:
        return {}
    newer_of = {older: newer for chain in chains for newer, older in zip(chain, chain[1:])}
    place = {oid: (c, k) for c, chain in enumerate(chains) for k, oid in enumerate(chain)}
    where: dict[bytes, list[bytes]] = {}
    for b, chunks in blobs.items():
        for c in {c for c, _n in chunks}:
            where.setdefault(c, []).append(b)
    votes: dict[tuple[bytes, bytes], int] = {}

    def vote(p: bytes, s: bytes) -> None:
        if p != s:
            votes[p, s] = votes.get((p, s), 0) + 1
    for older, newer in newer_of.items():
        for p in where.get(older, ())[:4]:
            for s in where.get(newer, ())[:4]:
                vote(p, s)
    for holders in where.values():
        if 1 < len(holders) <= 16:      # a chunk kept: blobs in write order
            holders.sort(key=written)
            for p, s in zip(holders, holders[1:]):
                vote(p, s)
    successor: dict[bytes, tuple[int, bytes]] = {}
    for (p, s), n in votes.items():
        if (n, s) > successor.get(p, (0, b"")):
            successor[p] = (n, s)
    alt = {}
    for p, (_n, s) in successor.items():
        old, new = blobs[p], blobs[s]
        shared = {c for c, _n in new}
        wanted = [i for i, (c, _n) in enumerate(old) if c not in shared and c in entries]
        links = {c: newer_of[c] for c, _n in old if c in newer_of}
        for i, js in newer_counterparts(old, new, links, wanted).items():
            o = old[i][0]
            bases = [new[j][0] for j in js]
            bases = [b for b in bases if b in place and o in place
                     and place[b][0] != place[o][0]]
            if bases:
                alt[o] = bases
    return _depth_bounds(chains, place, alt)


def _depth_bounds(chains: list[list[bytes]], place: dict, alt: dict) -> dict:
    """Keep the extra bases that do not make chains depend on each other in a
    circle; return older id -> [(base id, bound on the base's depth), ...].

    A chain position is at most one deeper than the one before it, or than its
    extra base: that bound is what the encoder records as the base's depth
    (never less than the real one, so chains stay within max_depth)."""
    needs: dict[int, set[int]] = {}

    def leads_to(start: int, goal: int) -> bool:
        todo, seen = [start], set()
        while todo:
            c = todo.pop()
            if c == goal:
                return True
            if c not in seen:
                seen.add(c)
                todo.extend(needs.get(c, ()))
        return False
    kept: dict[bytes, list[bytes]] = {}
    for o, bases in sorted(alt.items()):
        for b in bases:
            a, c = place[o][0], place[b][0]
            if not leads_to(c, a):
                needs.setdefault(a, set()).add(c)
                kept.setdefault(o, []).append(b)
    bounds: dict[int, list[int]] = {}

    def bound(oid: bytes) -> int:
        c, k = place[oid]
        if c not in bounds:
            out, prev = [], -1
            for x in chains[c]:
                prev = max([prev + 1, *(bound(b) + 1 for b in kept.get(x, ()))])
                out.append(prev)
            bounds[c] = out
        return bounds[c][k]
    return {o: [(b, bound(b)) for b in bases] for o, bases in kept.items()}


def _write_chains(store, sink, chains, max_depth: int, alt: dict) -> int:
    """Read each chain here, encode it on a worker (zstd releases the GIL), append
    in chain order so that pack contents do not depend on thread timing; return
    how many objects went in as deltas.  ``alt``: other bases to try
    (_moved_cut_bases)."""
    from concurrent.futures import Future, ThreadPoolExecutor
    workers, deltas, pending = max(store.workers, 1), 0, deque()
    with ThreadPoolExecutor(workers, "ldv-repack") as pool:
        for chain in chains:
            if (len(chain) == 1 and chain[0] not in alt
                    and store._locate(chain[0]).enc != Encoding.DELTA):
                # a lone full object: re-encrypt its body, do not compress it again
                entry, body = store.read_encoded(chain[0])
                job = Future()
                job.set_result([(chain[0], entry.type, entry.enc, body, None, 0)])
            else:
                plains = [(oid, *store.get(oid)) for oid in chain]
                alts = {k: [(b, depth, store._plain(b)) for b, depth in alt[oid]]
                        for k, oid in enumerate(chain) if oid in alt}
                job = pool.submit(_encode_chain, sink.codec.level, plains, max_depth, alts)
            pending.append(job)
            while len(pending) > workers + 1:    # bounded: a chain's plaintexts wait
                deltas += _append_chain(sink, pending.popleft().result())
        while pending:
            deltas += _append_chain(sink, pending.popleft().result())
    return deltas


def _append_chain(sink, out: list) -> int:
    for item in reversed(out):      # written oldest first (module docstring)
        sink._append(*item)
    return sum(1 for item in out if item[2] == Encoding.DELTA)


_codecs = threading.local()


def _encode_chain(level: int, plains: list, max_depth: int, alts: dict | None = None) -> list:
    """Encode one chain newest first: each older version a delta against the
    next newer one while that pays and the depth allows.  At REPACK_DELTA_LEVEL:
    deltas written once and read for a long time are worth zstd's deeper search.
    ``alts`` maps a chain position to [(id, depth bound, plaintext), ...] of
    objects in other chains to try as its base too (_moved_cut_bases); the
    smallest delta wins."""
    codec = getattr(_codecs, "codec", None)
    if codec is None or codec.level != level:
        codec = _codecs.codec = Codec(level, REPACK_DELTA_LEVEL)
    newer_plain, depth, newer_id, out = None, 0, None, []
    for k, (oid, type_code, plain) in enumerate(plains):
        base_id = newer_id
        if newer_plain is not None and depth < max_depth:
            enc, body = codec.encode(plain, newer_plain)
        else:
            enc, body = codec.encode(plain)
        for alt_id, alt_depth, alt_plain in (alts or {}).get(k, ()):
            if alt_depth >= max_depth:
                continue
            alt_enc, alt_body = codec.encode(plain, alt_plain)
            if alt_enc == Encoding.DELTA and len(alt_body) < len(body):
                enc, body, base_id, depth = alt_enc, alt_body, alt_id, alt_depth
        if enc == Encoding.DELTA:
            depth += 1
            out.append((oid, type_code, enc, body, base_id, depth))
        else:
            depth = 0
            out.append((oid, type_code, enc, body, None, 0))
        newer_plain, newer_id = plain, oid
    return out
