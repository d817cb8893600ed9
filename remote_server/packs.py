"""Resumable pack uploads, stored as their parts, and ranged reads across parts.

A client sends a pack as numbered parts of one size (the last may be shorter).
Each part is stored as its own object under the pack's prefix as soon as it
arrives, so a killed push resumes by asking which parts are there, and nothing is
copied again at the end.  ``finish`` proves that the parts, in order, hash to the
pack's name (from the hash computed on arrival, or by reading them back) and only
then registers the pack and its entries: until then nothing the pack holds is
visible to negotiation, so a half-pushed pack is never used.
"""
from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Iterator

import blake3

from ldv.plumbing.errors import CorruptPack, MissingPack

from .errors import ValidationFailed
from .services import Services, pack_prefix, part_name
from .store import PackInfo, check_entries
from .validate import check_hex_id

MAX_PARTS = 10_000
READ_STEP = 8 << 20


def received_parts(svc: Services, repo_id: int, pack: str) -> dict[int, int]:
    """index -> size of every part of ``pack`` already stored."""
    check_hex_id(pack)
    prefix = pack_prefix(repo_id, pack)
    out = {}
    for name in svc.backend.list(prefix):
        tail = name[len(prefix):]
        if tail.isdigit():
            out[int(tail)] = svc.backend.size(name)
    return out


def store_part(svc: Services, repo_id: int, pack: str, index: int, data: bytes,
               part_hash: str | None) -> None:
    check_hex_id(pack)
    if not 0 <= index < MAX_PARTS:
        raise ValidationFailed(f"part index {index} out of range 0..{MAX_PARTS - 1}")
    if part_hash and blake3.blake3(data).hexdigest() != part_hash:
        raise CorruptPack(f"part {index} of pack {pack[:12]} arrived damaged",
                          hint="send the part again")
    svc.backend.put(part_name(repo_id, pack, index), data)
    svc.uploads.feed((repo_id, pack), index, data)
    svc.store.touch_upload(repo_id, pack)        # `ldv-server gc` expires abandoned ones


def _check_layout(pack: str, size: int, have: dict[int, int], parts: int) -> int:
    """The uniform part size of a complete upload; MissingPack/CorruptPack if not."""
    lost = [i for i in range(parts) if i not in have]
    if lost or parts < 1:
        raise MissingPack(f"pack {pack[:12]} lacks part {lost[0] if lost else 0}",
                          hint="upload the missing parts, then finish again")
    part_size = have[0]
    if any(have[i] != part_size for i in range(parts - 1)) or have[parts - 1] > part_size \
            or sum(have[i] for i in range(parts)) != size:
        raise CorruptPack(f"the parts of pack {pack[:12]} do not add up to {size} bytes "
                          "in equal pieces", hint="upload it again")
    return part_size


def _hash_stored(svc: Services, repo_id: int, pack: str, parts: int) -> tuple[str, int]:
    h, size = blake3.blake3(max_threads=blake3.blake3.AUTO), 0
    for i in range(parts):
        data = svc.backend.get(part_name(repo_id, pack, i))
        h.update(data)
        size += len(data)
    return h.hexdigest(), size


def finish(svc: Services, repo: str, repo_id: int, pack: str, size: int, kind: str,
           parts: int, entries: list) -> bool:
    """Verify and register ``pack``; False if it was already registered."""
    entries = check_entries(pack, size, kind, entries)
    if svc.store.get_pack(repo, pack):
        return False
    have = received_parts(svc, repo_id, pack)
    part_size = _check_layout(pack, size, have, parts)
    digest = svc.uploads.take((repo_id, pack), parts) or \
        _hash_stored(svc, repo_id, pack, parts)
    if digest != (pack, size):
        for i in have:
            svc.backend.delete(part_name(repo_id, pack, i))
        raise CorruptPack(f"pack {pack[:12]} does not match its name or size",
                          hint="upload it again")
    for extra in (i for i in have if i >= parts):
        svc.backend.delete(part_name(repo_id, pack, extra))
    svc.store.register_pack(repo, pack, size, kind, entries, part_size=part_size)
    svc.store.end_upload(repo_id, pack)
    return True


def collect_abandoned(svc: Services, max_age_s: int, now: int | None = None) -> dict:
    """Delete the parts of uploads that saw no part for ``max_age_s`` seconds and
    were never finished.  Parts found in the object store with no upload record
    (written before the record existed, or by a crashed process) get one now, so
    they go after ``max_age_s`` too.  Returns counts of what was done."""
    import time
    now = int(time.time()) if now is None else now
    known = {(rid, pack) for rid, pack, _at in svc.store.uploads()}
    found = 0
    for rid, pack in _stored_packs(svc):
        if (rid, pack) not in known and not svc.store.is_registered(rid, pack):
            svc.store.touch_upload(rid, pack, now)
            found += 1
    removed = parts = 0
    for rid, pack, _at in svc.store.uploads(seen_before=now - max_age_s):
        if not svc.store.is_registered(rid, pack):
            for name in list(svc.backend.list(pack_prefix(rid, pack))):
                svc.backend.delete(name)
                parts += 1
            removed += 1
        svc.store.end_upload(rid, pack)
    return {"uploads_removed": removed, "parts_removed": parts, "untracked_found": found}


def _stored_packs(svc: Services) -> set[tuple[int, str]]:
    """(repo id, pack) of every pack directory in the object store."""
    out = set()
    for name in svc.backend.list("r/"):
        bits = name.split("/")        # r/<repo id>/packs/<xx>/<pack>/<part>
        if len(bits) == 6 and bits[2] == "packs" and bits[1].isdigit():
            out.add((int(bits[1]), bits[4]))
    return out


_PREFETCH = ThreadPoolExecutor(max_workers=8, thread_name_prefix="ldv-prefetch")


def read_span(svc: Services, repo_id: int, info: PackInfo, start: int, end: int,
              step: int = READ_STEP) -> Iterator[bytes]:
    """Bytes [start, end) of a registered pack, in pieces of at most ``step``.

    The next piece is fetched while the current one is sent, so a download runs
    at the speed of the slower of the object store and the network, not their sum.
    """
    psize = info.part_size or info.size
    pieces, pos = [], start
    while pos < end:
        index, off = divmod(pos, psize)
        n = min(step, psize - off, end - pos)
        pieces.append((part_name(repo_id, info.name, index), off, n))
        pos += n
    ahead = None
    for i, (name, off, n) in enumerate(pieces):
        current = ahead or _PREFETCH.submit(svc.backend.get, name, off, n)
        ahead = _PREFETCH.submit(svc.backend.get, *pieces[i + 1]) \
            if i + 1 < len(pieces) else None
        data = current.result()
        if len(data) != n:
            raise MissingPack(f"pack {info.name[:12]} part {name[-6:]} ends early",
                              hint="the server's object store lost data; run a repair")
        yield data
