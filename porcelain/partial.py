"""Fetching single objects out of remote packs by ranged reads.

A whole pack is the cheapest way to bring objects that are all missing.  When a
clone already holds most of a pack (the same files added in two clones, a
partial clone's path, a pack the server got from another clone) only the
missing entries travel: the pack's preamble, trailer and encrypted header
(three small ranged reads), then the entries' ciphertext in batched
``/packs/{pack}/spans`` requests, neighbours merged into one range.  Each entry
is decrypted with the pack's key, checked against its id and stored in a local
pack (``import_entry``); delta bases are stored before their deltas and fetched
too when this clone lacks them.

Glossary:
  want      an object id to bring, with the remote pack and header entry it is read from
  level     0 for an object whose base is absent or held here; else its base's level + 1
"""
from __future__ import annotations

from typing import Callable

from ldv.plumbing.errors import BadInput, CorruptPack
from ldv.plumbing.pack import PREAMBLE_LEN, PackEntry, read_header

Progress = Callable[[str, int, "int | None"], None]

WHOLE_PACK_ABOVE = 0.5     # fetch a whole pack when more than this share of it is missing
MERGE_GAP = 16 << 10       # read neighbouring entries closer than this as one range
MAX_ROUNDS = 64            # delta chains are bounded (object_store.MAX_DEPTH); so is this


def _noop(label: str, done: int, total: int | None) -> None:
    pass


class _RemotePack:
    """The two Backend calls ``pack.read_header`` makes, answered by ranged reads."""

    def __init__(self, client, pack: str, size: int):
        self.client, self.pack, self._size, self.fetched = client, pack, size, 0

    def size(self, _path: str) -> int:
        return self._size

    def get(self, _path: str, offset: int = 0, length: int | None = None) -> bytes:
        data = self.client.read_pack(self.pack, offset, length)
        self.fetched += len(data)
        return data


def split_packs(repo, packs: list[dict]) -> tuple[list[dict], dict[str, set[bytes]]]:
    """(packs to fetch whole, {pack: ids to fetch by range}) for packs described
    with their entries; a pack whose objects are all here is in neither."""
    whole, ranged = [], {}
    for p in packs:
        rows = p.get("entries")
        if rows is None:
            whole.append(p)
            continue
        missing = [(bytes.fromhex(r[0]), r[2]) for r in rows
                   if not repo.odb.has(bytes.fromhex(r[0]))]
        if not missing:
            continue
        if sum(n for _, n in missing) > WHOLE_PACK_ABOVE * p["size"]:
            whole.append(p)
        else:
            ranged[p["pack"]] = {oid for oid, _ in missing}
    return whole, ranged


def fetch_objects(repo, client, wanted: dict[str, set[bytes]], *,
                  progress: Progress = _noop) -> int:
    """Bring ``wanted`` ({remote pack: object ids}) and the delta bases they need
    by ranged reads; return the bytes fetched."""
    headers: dict[str, tuple[bytes, dict[bytes, PackEntry]]] = {}
    wants: dict[bytes, tuple[str, PackEntry]] = {}
    fetched = 0
    for _round in range(MAX_ROUNDS):
        bases = set()
        for pack, oids in wanted.items():
            if pack not in headers:
                headers[pack], n = _header(repo, client, pack)
                fetched += n
            by_id = headers[pack][1]
            for oid in oids:
                if oid not in by_id:
                    raise CorruptPack(f"remote pack {pack[:12]} lacks object {oid.hex()}",
                                      hint="the server's index and pack disagree; "
                                           "tell its admin")
                wants[oid] = (pack, by_id[oid])
                base = by_id[oid].base
                if base is not None and not repo.odb.has(base):
                    bases.add(base)
        bases -= wants.keys()
        if not bases:
            break
        wanted = locate(client, bases)
    return fetched + _import(repo, client, headers, wants, progress)


def _header(repo, client, pack: str) -> tuple[tuple[bytes, dict[bytes, PackEntry]], int]:
    remote = _RemotePack(client, pack, client.pack_info(pack)["size"])
    _kind, entries = read_header(pack, remote, pack, repo.keyring.data_keys)
    preamble = remote.get(pack, 0, PREAMBLE_LEN)
    return (preamble, {e.oid: e for e in entries}), remote.fetched


def locate(client, oids: set[bytes]) -> dict[str, set[bytes]]:
    """{remote pack: ids} for objects found by id on the server."""
    found = client.lookup(sorted(o.hex() for o in oids))
    lost = [o for o in oids if o.hex() not in found]
    if lost:
        raise BadInput(f"the remote lacks {len(lost)} objects (e.g. {lost[0].hex()[:12]})",
                       hint="push them from a full clone first")
    out: dict[str, set[bytes]] = {}
    for o in oids:
        out.setdefault(found[o.hex()][0], set()).add(o)
    return out


def _levels(wants: dict[bytes, tuple[str, PackEntry]]) -> dict[bytes, int]:
    level: dict[bytes, int] = {}
    for oid in wants:
        chain: list[bytes] = []
        while oid in wants and oid not in level:
            if len(chain) > len(wants):
                raise CorruptPack("remote pack headers name a delta cycle",
                                  hint="the server's packs are damaged; tell its admin")
            chain.append(oid)
            oid = wants[oid][1].base
        below = level.get(oid, -1) if oid in wants else -1
        for o in reversed(chain):
            below = level[o] = below + 1
    return level


def _import(repo, client, headers, wants, progress: Progress) -> int:
    """Read and store ``wants`` level by level (bases first), pack by pack."""
    level = _levels(wants)
    groups: dict[tuple[int, str], list[PackEntry]] = {}
    for oid, (pack, entry) in wants.items():
        groups.setdefault((level[oid], pack), []).append(entry)
    fetched, done = 0, 0
    for (_lvl, pack), entries in sorted(groups.items()):
        entries.sort(key=lambda e: e.offset)
        spans = _merge(entries)
        datas = client.read_spans(pack, [(off, n) for off, n, _ in spans])
        preamble = headers[pack][0]
        for (off, n, members), data in zip(spans, datas):
            fetched += n
            for e in members:
                ct = data[e.offset - off:e.offset - off + e.length]
                repo.odb.import_entry(pack, preamble, e, ct)
                done += 1
        progress("Fetching objects", done, len(wants))
    repo.odb.flush()
    return fetched


def _merge(entries: list[PackEntry]) -> list[tuple[int, int, list[PackEntry]]]:
    """(offset, length, entries) ranges covering ``entries`` (sorted by offset),
    neighbours closer than MERGE_GAP read as one."""
    out: list[tuple[int, int, list[PackEntry]]] = []
    for e in entries:
        if out and e.offset - (out[-1][0] + out[-1][1]) <= MERGE_GAP:
            off, _n, members = out[-1]
            members.append(e)
            out[-1] = (off, e.offset + e.length - off, members)
        else:
            out.append((e.offset, e.length, [e]))
    return out


def sparse_path(repo) -> str | None:
    """The one path a partial clone checks out (``remote.<name>.filter``), or None."""
    for key, value in repo.config.items("remote."):
        if key.endswith(".filter") and value:
            return value.strip("/")
    return None


def sparse_checkout(repo, commit: bytes, prefix: str, *, old: bytes | None = None,
                    progress: Progress = _noop) -> int:
    """Check out only the files of ``commit`` under ``prefix``; every other file
    gets an index entry flagged SKIP_WORKTREE (Git's bit), so status does not call
    it deleted and commits keep it as HEAD has it.  ``old`` is the commit the
    work tree holds now (a clean one: pull checks): only what differs under
    ``prefix`` is rewritten.  Returns the number of files written."""
    from ldv.plumbing.index import SKIP_WORKTREE, Entry, Index, save_index
    from ldv.plumbing.objects import read_commit
    from ldv.plumbing.trees import walk
    from . import workfiles
    prefix, odb = prefix.strip("/"), repo.odb
    before = {p: e for p, e in walk(odb, read_commit(odb, old).tree)
              if workfiles.under(p, prefix)} if old else {}
    index, written = Index(), 0
    for path, e in walk(odb, read_commit(odb, commit).tree):
        if not workfiles.under(path, prefix):
            index.put(Entry(path, e.mode, e.oid, e.size, flags=SKIP_WORKTREE))
            continue
        prev = before.pop(path, None)
        st = workfiles.lstat(repo.root, path)
        if st is None or prev is None or (prev.mode, prev.oid) != (e.mode, e.oid):
            st = workfiles.write_file(odb, repo.root, path, e.mode, e.oid)
            written += 1
            progress("Checking out files", written, None)
        index.put(Entry.from_stat(path, e.mode, e.oid, st))
    for path in before:                 # gone from the path in the new commit
        workfiles.remove_file(repo.root, path)
    save_index(repo, index)
    return written
