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

from .delta import REPACK_DELTA_LEVEL, Codec, Encoding
from .errors import ObjectNotFound
from .lock import Lock
from .pack import pack_path
from .pack_index import PackIndex


def _chains(entries: dict, pack_order: dict[str, int]) -> list[list[bytes]]:
    """Live objects as chains, newest first, each object exactly once."""
    newer: dict[bytes, list[bytes]] = {}
    for oid, (_pack, e) in entries.items():
        if e.enc == Encoding.DELTA and e.base in entries:
            newer.setdefault(e.base, []).append(oid)

    def written(o: bytes) -> tuple[int, int]:
        return pack_order.get(entries[o][0], -1), entries[o][1].offset
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
    deltas = _write_chains(store, sink, _chains(entries, order), max_depth)
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


def _write_chains(store, sink, chains, max_depth: int) -> int:
    """Read each chain here, encode it on a worker (zstd releases the GIL), append
    in chain order so that pack contents do not depend on thread timing; return
    how many objects went in as deltas."""
    from concurrent.futures import Future, ThreadPoolExecutor
    workers, deltas, pending = max(store.workers, 1), 0, deque()
    with ThreadPoolExecutor(workers, "ldv-repack") as pool:
        for chain in chains:
            if len(chain) == 1 and store._locate(chain[0]).enc != Encoding.DELTA:
                # a lone full object: re-encrypt its body, do not compress it again
                entry, body = store.read_encoded(chain[0])
                job = Future()
                job.set_result([(chain[0], entry.type, entry.enc, body, None, 0)])
            else:
                plains = [(oid, *store.get(oid)) for oid in chain]
                job = pool.submit(_encode_chain, sink.codec.level, plains, max_depth)
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


def _encode_chain(level: int, plains: list, max_depth: int) -> list:
    """Encode one chain newest first: each older version a delta against the
    next newer one while that pays and the depth allows.  At REPACK_DELTA_LEVEL:
    deltas written once and read for a long time are worth zstd's deeper search."""
    codec = getattr(_codecs, "codec", None)
    if codec is None or codec.level != level:
        codec = _codecs.codec = Codec(level, REPACK_DELTA_LEVEL)
    newer_plain, depth, newer_id, out = None, 0, None, []
    for oid, type_code, plain in plains:
        if newer_plain is not None and depth < max_depth:
            enc, body = codec.encode(plain, newer_plain)
        else:
            enc, body = codec.encode(plain)
        if enc == Encoding.DELTA:
            depth += 1
            out.append((oid, type_code, enc, body, newer_id, depth))
        else:
            depth = 0
            out.append((oid, type_code, enc, body, None, 0))
        newer_plain, newer_id = plain, oid
    return out
