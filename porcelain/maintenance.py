"""Repository upkeep: ``gc`` (drop unreachable objects, repack), ``fsck``
(decrypt and verify everything), ``key rotate``.

Reachability roots, as in Git: every ref, HEAD, every reflog entry of those (so
``reset --hard`` stays undoable until gc is taught to expire reflogs), and the
index (staged blobs and its cached tree).  Delta bases are the store's business:
repack keeps every base a kept delta needs.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Iterator

from ldv.plumbing.blobs import iter_chunk_ids, iter_node_ids
from ldv.plumbing.errors import (BadInput, IntegrityError, LdvError, ObjectNotFound,
                                 RepositoryLocked)
from ldv.plumbing.index import load_index
from ldv.plumbing.objects import MODE_DIR, read_commit, read_tag
from ldv.plumbing.odb import ObjType
from ldv.plumbing.shallow import read_shallow
from ldv.plumbing.trees import decode_node, diff_trees

Progress = Callable[[str, int, "int | None"], None]


def _noop(label: str, done: int, total: int | None) -> None:
    pass


# -- reachability ------------------------------------------------------------------

def roots(repo) -> set[bytes]:
    """The ids gc must keep everything below."""
    out: set[bytes] = set()
    names = ["HEAD", *repo.refs.list("refs/")]
    for name in names:
        oid = repo.refs.read(name)
        if oid is not None:
            out.add(oid)
        for e in repo.refs.reflog(name):
            out.update(x for x in (e.old, e.new) if x is not None)
    index = load_index(repo)
    out.update(e.oid for e in index)
    if index.tree is not None:
        out.add(index.tree)
    return out


def reachable(repo, starts, *, progress: Progress = _noop, missing: list | None = None,
              absent_ok: tuple = (), shallow: set[bytes] = frozenset()) -> set[bytes]:
    """Every id reachable from ``starts`` (commits, tags, trees, blobs, chunks).

    A missing object raises, unless ``missing`` is a list: then it is recorded
    there and the walk goes on (fsck's mode).  Objects of a kind in
    ``absent_ok`` may be missing without either (gc in a shallow or partial clone:
    parents beyond the depth, chunks never fetched).  The parents of a
    ``shallow`` commit (plumbing/shallow.py) are the clone's boundary: not walked.
    """
    seen: set[bytes] = set()
    todo: list[tuple[bytes, ObjType | None]] = [(s, None) for s in starts]
    while todo:
        oid, kind = todo.pop()
        if oid in seen:
            continue
        seen.add(oid)
        try:
            kids = _children(repo, oid, kind)
            if oid in shallow:
                kids = [k for k in kids if k[1] != ObjType.COMMIT]
            todo.extend(kids)
        except ObjectNotFound:
            if kind in absent_ok:
                continue
            if missing is None:
                raise
            missing.append((oid, f"object {oid.hex()} is missing"))
        except IntegrityError as e:
            if missing is None:
                raise
            missing.append((oid, e.message))
        if len(seen) % 1024 == 0:
            progress("Counting objects", len(seen), None)
    progress("Counting objects", len(seen), len(seen))
    return seen


def _children(repo, oid: bytes, kind: ObjType | None) -> Iterator[tuple[bytes, ObjType | None]]:
    odb = repo.odb
    if kind == ObjType.CHUNK:
        if not odb.has(oid):
            raise ObjectNotFound(f"chunk {oid.hex()} is missing")
        return iter(())
    if kind is None or kind in (ObjType.COMMIT, ObjType.TAG):
        kind, data = odb.get(oid)
        if kind == ObjType.COMMIT:
            c = read_commit(odb, oid)
            from .pii.records import meta_ids   # findings stored with the commit
            return iter([(c.tree, ObjType.TREE)] + [(p, ObjType.COMMIT) for p in c.parents]
                        + [(m, ObjType.META) for m in meta_ids(c.lineage)])
        if kind == ObjType.TAG:
            return iter([(read_tag(odb, oid).target, None)])
    if kind == ObjType.BLOB:
        nodes = [(n, ObjType.BLOBNODE) for n in iter_node_ids(odb, oid)]
        chunks = [(c, ObjType.CHUNK) for c, _ in iter_chunk_ids(odb, oid)]
        return iter(nodes + chunks)
    if kind in (ObjType.TREE, ObjType.TREENODE):
        return iter(_tree_children(odb, oid))
    if kind == ObjType.META and not odb.has(oid):
        raise ObjectNotFound(f"meta object {oid.hex()} is missing")
    return iter(())     # BLOBNODEs are listed by their blob; META has no children


def _tree_children(odb, oid: bytes) -> list[tuple[bytes, ObjType]]:
    _, data = odb.get(oid)
    height, entries = decode_node(data)
    if height:
        return [(x[1], ObjType.TREENODE) for x in entries]
    return [(e.oid, ObjType.TREE if e.mode == MODE_DIR else ObjType.BLOB) for e in entries]


# -- gc --------------------------------------------------------------------------

@dataclass
class GcReport:
    reachable: int
    stored_before: int
    dropped: int
    repack: dict = field(default_factory=dict)


def gc(repo, *, progress: Progress = _noop, lock_timeout: float = 10) -> GcReport:
    """Keep what is reachable, repack it (newest versions full), drop the rest.

    Holds the repository lock throughout, so no commit can add an object that
    is written but not yet referenced while gc decides what is garbage.  Parents
    beyond a shallow clone's depth and chunks a partial clone never fetched may
    be absent; any other missing object stops gc before it deletes anything.
    """
    with repo.lock(timeout=lock_timeout):
        repo.odb.flush()
        live = reachable(repo, roots(repo), progress=progress,
                         absent_ok=(ObjType.COMMIT, ObjType.CHUNK),
                         shallow=read_shallow(repo))
        stored = set(repo.odb.iter_ids())
        live &= stored
        progress("Repacking", 0, len(live))
        stats = repo.odb.repack(live)
        progress("Repacking", len(live), len(live))
    return GcReport(len(live), len(stored), len(stored - live), stats)


AUTO_DEPTH = 8          # gc.autoDepth: repack once a commit's chunks are this deep
AUTO_SCAN_FILES = 2000  # modified files looked at per commit (bounds the check)


def auto_gc(repo, old_tree: bytes | None, new_tree: bytes | None) -> GcReport | None:
    """Git's ``gc --auto`` after a commit: run gc when a file the commit modified
    is stored as a delta chain ``gc.autoDepth`` deep, so that the newest version
    is full again and older ones are deltas against newer ones (gc.auto=0: off).

    Only modified paths can hold new deltas (a base is the same path's old
    blob).  Returns the gc report, or None when nothing was due or another
    process holds the repository lock (the next commit tries again)."""
    cfg = repo.config
    depth = _config_int(cfg, "gc.autoDepth", AUTO_DEPTH)
    if _config_int(cfg, "gc.auto", 1) == 0 or depth <= 0 or old_tree is None:
        return None
    if _deepest_delta(repo, old_tree, new_tree, depth) < depth:
        return None
    try:
        return gc(repo, lock_timeout=0)
    except RepositoryLocked:
        return None


def _config_int(cfg, key: str, default: int) -> int:
    value = cfg.get(key)
    try:
        return default if value is None else int(value)
    except ValueError:
        raise BadInput(f"config {key} is {value!r}, not a number",
                       hint=f"fix it with `ldv config {key} N`") from None


def _deepest_delta(repo, old_tree, new_tree, enough: int) -> int:
    """The deepest chunk among modified files (stops at ``enough``)."""
    depth_of = getattr(repo.odb, "delta_depth", None)
    deepest, looked = 0, 0
    if depth_of is None:
        return 0
    for _path, old, new in diff_trees(repo.odb, old_tree, new_tree):
        if old is None or new is None or new.mode == MODE_DIR:
            continue
        looked += 1
        for oid, _n in iter_chunk_ids(repo.odb, new.oid):
            try:
                deepest = max(deepest, depth_of(oid))
            except ObjectNotFound:      # a partial clone's unfetched chunk
                continue
            if deepest >= enough:
                return deepest
        if looked >= AUTO_SCAN_FILES:
            break
    return deepest


# -- fsck --------------------------------------------------------------------------

@dataclass
class FsckReport:
    objects: int = 0
    packs: int = 0
    bad_objects: list[tuple[str, str]] = field(default_factory=list)   # (id, why)
    bad_packs: list[tuple[str, str]] = field(default_factory=list)
    missing: list[tuple[str, str]] = field(default_factory=list)       # reachable, absent
    bad_refs: list[tuple[str, str]] = field(default_factory=list)
    dangling: int = 0
    unindexed: list[str] = field(default_factory=list)   # packs the pack index lacks

    @property
    def ok(self) -> bool:
        return not (self.bad_objects or self.bad_packs or self.missing or self.bad_refs)

    def problems(self) -> list[str]:
        out = [f"corrupt object {i}: {why}" for i, why in self.bad_objects]
        out += [f"corrupt pack {p}: {why}" for p, why in self.bad_packs]
        out += [f"missing object {i}: {why}" for i, why in self.missing]
        out += [f"bad ref {r}: {why}" for r, why in self.bad_refs]
        return out


def fsck(repo, *, progress: Progress = _noop) -> FsckReport:
    """Check every pack's hash, decrypt and verify every object, walk every ref."""
    r = FsckReport()
    odb = repo.odb
    odb.flush()
    packs = list(getattr(odb, "pack_names", lambda: [])())
    for i, name in enumerate(packs):
        progress("Checking packs", i, len(packs))
        try:
            odb.check_pack(name)
        except LdvError as e:
            r.bad_packs.append((name, e.message))
    r.packs = len(packs)
    unindexed = getattr(odb, "unindexed_packs", None)
    r.unindexed = unindexed() if unindexed else []
    ids = list(odb.iter_ids())
    for i, oid in enumerate(ids):
        if i % 256 == 0:
            progress("Checking objects", i, len(ids))
        try:
            odb.get(oid)
        except LdvError as e:
            r.bad_objects.append((oid.hex(), e.message))
    progress("Checking objects", len(ids), len(ids))
    r.objects = len(ids)
    starts = _ref_roots(repo, r)
    missing: list = []
    # A partial clone (clone --filter) lacks by design the chunks outside its path.
    partial = any(k.endswith(".filter") for k, _v in repo.config.items("remote."))
    live = reachable(repo, starts, progress=progress, missing=missing,
                     shallow=read_shallow(repo), absent_ok=(ObjType.CHUNK,) if partial else ())
    bad = {i for i, _ in r.bad_objects}
    r.missing = [(o.hex(), why) for o, why in missing if o.hex() not in bad]
    r.dangling = len(set(ids) - live)
    return r


def _ref_roots(repo, report: FsckReport) -> list[bytes]:
    starts = []
    for name in ["HEAD", *repo.refs.list("refs/")]:
        try:
            oid = repo.refs.read(name)
        except LdvError as e:
            report.bad_refs.append((name, e.message))
            continue
        if oid is None:
            continue
        if not repo.odb.has(oid):
            report.bad_refs.append((name, f"points to missing object {oid.hex()}"))
            continue
        starts.append(oid)
    try:
        index = load_index(repo)
        starts.extend(e.oid for e in index)
    except LdvError as e:
        report.bad_refs.append(("index", e.message))
    return starts


# -- keys --------------------------------------------------------------------------

def rotate_data_key(repo) -> int:
    """New objects go under a fresh data key; existing packs keep theirs."""
    return repo.rotate_data_key()


def rewrap(repo, new_master, *, kdf: str = "scrypt") -> None:
    """Seal the keyring under a new master key (nothing else is rewritten)."""
    repo.rewrap(new_master, kdf=kdf)
