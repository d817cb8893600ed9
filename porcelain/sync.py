"""push, fetch, pull, clone and remotes: a repository and an ldv-server.

What travels is ciphertext: whole local packs (named by the BLAKE3 of their bytes,
so the server can verify them without keys), the commit graph's shape, sealed ref
values and the encrypted keyring.  Push goes bottom-up: data packs, metadata
packs, graph, then the ref swap; each step is idempotent and an interrupted push
resumes (packs by part, finished packs are skipped).  Fetch asks for the packs of
the missing commits in one round trip and skips packs it already holds.

Every ref read from the server is checked against its seal and against the
highest counter this clone has seen for it (``RefRollback`` when the server lies).
"""
from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from ldv.plumbing import refseal
from ldv.plumbing.errors import (BadInput, Conflict, LdvError, NetworkError,
                                 NonFastForward, ObjectNotFound, RefRollback,
                                 RemoteError, RepositoryError)
from ldv.plumbing.objects import read_commit, read_tag
from ldv.plumbing.odb import ObjType
from ldv.plumbing.pack import KIND_DATA, pack_path
from ldv.plumbing.shallow import boundary, read_shallow, write_shallow
from ldv.plumbing.wire import RemoteClient, RemoteRef, normalize_fingerprint, parse_url

from . import partial
from .maintenance import reachable
from .refs_ops import is_ancestor

Progress = Callable[[str, int, "int | None"], None]
_KIND = {KIND_DATA: "data"}


def _noop(label: str, done: int, total: int | None) -> None:
    pass


# -- remotes -----------------------------------------------------------------------

@dataclass(frozen=True)
class Remote:
    name: str
    url: str
    fingerprint: str | None = None


def add_remote(repo, name: str, url: str, fingerprint: str | None = None) -> Remote:
    parse_url(url)      # refuse bad URLs (and plain http to other hosts) now
    if fingerprint:
        normalize_fingerprint(fingerprint)      # and a pin that can never match
    if not name or "/" in name or name.startswith("."):
        raise BadInput(f"bad remote name {name!r}", hint="use a simple name like origin")
    if repo.config.get(f"remote.{name}.url"):
        raise BadInput(f"remote {name} already exists", hint="remove it first")
    repo.config.set(f"remote.{name}.url", url)
    if fingerprint:
        repo.config.set(f"remote.{name}.fingerprint", fingerprint)
    return Remote(name, url, fingerprint)


def remove_remote(repo, name: str) -> None:
    if not repo.config.unset(f"remote.{name}.url"):
        raise BadInput(f"no remote named {name}", hint="list them with `ldv remote -v`")
    repo.config.unset(f"remote.{name}.fingerprint")
    repo.delete_secret(f"sync/{name}.pending")
    for ref in repo.refs.list(f"refs/remotes/{name}/"):
        repo.refs.delete(ref)


def list_remotes(repo) -> list[Remote]:
    out = []
    for key, url in repo.config.items("remote."):
        if key.endswith(".url"):
            name = key[len("remote."):-len(".url")]
            out.append(Remote(name, url, repo.config.get(f"remote.{name}.fingerprint")))
    return sorted(out, key=lambda r: r.name)


def get_remote(repo, name: str) -> Remote:
    url = repo.config.get(f"remote.{name}.url")
    if not url:
        raise BadInput(f"no remote named {name}",
                       hint="add one with `ldv remote add NAME URL`")
    return Remote(name, url, repo.config.get(f"remote.{name}.fingerprint"))


def connect(remote: Remote, token: str | None, *, ca_file: str | None = None,
            progress: Progress = _noop) -> RemoteClient:
    return RemoteClient(remote.url, token, fingerprint=remote.fingerprint, ca_file=ca_file,
                        progress=progress)


# -- sealed refs ----------------------------------------------------------------------

def _seen(repo, remote: str) -> dict[str, int]:
    raw = repo.read_secret(f"sync/{remote}.seen")
    return json.loads(raw) if raw else {}


def _save_seen(repo, remote: str, seen: dict[str, int]) -> None:
    repo.write_secret(f"sync/{remote}.seen", json.dumps(seen, sort_keys=True).encode())


def _pending(repo, remote: str) -> set[str]:
    """The commits an interrupted fetch from ``remote`` wanted."""
    raw = repo.read_secret(f"sync/{remote}.pending")
    return set(json.loads(raw)) if raw else set()


def _save_pending(repo, remote: str, wants: list[str]) -> None:
    repo.write_secret(f"sync/{remote}.pending", json.dumps(sorted(wants)).encode())


def verified_refs(repo, client: RemoteClient, remote: str) -> dict[str, tuple[RemoteRef, int]]:
    """The server's refs, each checked against its seal and the newest counter seen."""
    seen = _seen(repo, remote)
    out = {}
    for ref in client.list_refs():
        try:
            counter = refseal.verify(repo.keyring.ref_key, ref.name,
                                     bytes.fromhex(ref.target), ref.sealed,
                                     seen.get(ref.name, 0))
        except RefRollback:
            if not _same_repository(repo, client):
                raise RepositoryError(
                    f"{client.url} holds another repository (its refs are sealed with "
                    "keys this repository does not have)",
                    hint="clone it with `ldv clone URL` and work in the clone, or push "
                         "to a new empty repository (`ldv-server repo create`)") from None
            raise
        out[ref.name] = (ref, counter)
        seen[ref.name] = max(counter, seen.get(ref.name, 0))
    _save_seen(repo, remote, seen)
    return out


def _same_repository(repo, client: RemoteClient) -> bool:
    """Whether the remote's keyring is this repository's (same ref key): if not,
    a ref that fails its seal was pushed by another repository, not forged."""
    from ldv.plumbing.keys import unwrap_keyring
    theirs = client.get_keyring()
    if theirs is None:
        return True
    try:
        return unwrap_keyring(theirs, repo._master).ref_key == repo.keyring.ref_key
    except (LdvError, ValueError):
        return False


# -- push ---------------------------------------------------------------------------

@dataclass
class PushResult:
    ref: str
    old: str | None
    new: str
    commits: int = 0
    packs: int = 0
    bytes_sent: int = 0
    up_to_date: bool = False


def _new_commits(repo, client: RemoteClient, tip: bytes) -> list[bytes]:
    """Commits reachable from ``tip`` that the server lacks, ancestors first."""
    order, seen, frontier = [], set(), [tip]
    while frontier:
        batch = [c for c in dict.fromkeys(frontier) if c not in seen]
        seen.update(batch)
        known = client.known_commits([c.hex() for c in batch]) if batch else set()
        frontier = []
        for c in batch:
            if c.hex() in known:
                continue
            order.append(c)
            try:
                frontier.extend(read_commit(repo.odb, c).parents)
            except ObjectNotFound:
                raise RepositoryError(
                    f"the remote lacks commit {c.hex()[:12]}, which is beyond this "
                    "shallow clone's history", hint="run `ldv fetch --unshallow` from "
                    "a remote that has it, then push") from None
    return order[::-1]


def _closure(repo, commits: list[bytes]) -> set[bytes]:
    """Every object the given commits need (not walking into other commits: their
    parents are the walk's boundary, as a shallow clone's are).  A partial clone
    lacks chunks outside its path; the remote has them."""
    seen = reachable(repo, commits, shallow=set(commits), absent_ok=(ObjType.CHUNK,))
    return repo.odb.with_delta_bases(seen)


def push(repo, client: RemoteClient, remote: str, branch: str, *, force: bool = False,
         progress: Progress = _noop) -> PushResult:
    """Push ``refs/heads/<branch>`` bottom-up; NonFastForward if the server moved on."""
    name = branch if branch.startswith("refs/") else f"refs/heads/{branch}"
    tip = repo.refs.read(name)
    if tip is None:
        raise BadInput(f"no such branch: {branch}", hint="see `ldv branch`")
    repo.odb.flush()
    refs = verified_refs(repo, client, remote)
    current, counter = refs.get(name, (None, 0))
    # A ref deleted and made again must not restart its counter below what
    # other clones have seen, or they would take it for a rollback.
    counter = max(counter, _seen(repo, remote).get(name, 0))
    result = PushResult(name, current.target if current else None, tip.hex())
    if current and current.target == tip.hex():
        result.up_to_date = True
        _track(repo, remote, name, tip)
        return result
    head, extra = _peel(repo, tip)
    commits = _new_commits(repo, client, head)
    if commits or extra:
        _send_objects(repo, client, commits, result, progress, extra)
    _sync_keyring(repo, client)
    sealed = refseal.seal(repo.keyring.ref_key, name, tip, counter + 1)
    try:
        client.update_ref(name, expected_version=current.version if current else 0,
                          target=tip.hex(), sealed=sealed, force=force)
    except NonFastForward as e:
        # the server's hint is for any client; this one names the command
        raise NonFastForward(f"{name}: the remote has commits you do not have",
                             hint=f"run `ldv pull {remote}` to merge them, then push "
                                  "again (or push --force to overwrite them)") from e
    seen = _seen(repo, remote)
    seen[name] = counter + 1
    _save_seen(repo, remote, seen)
    _track(repo, remote, name, tip)
    return result


def _peel(repo, tip: bytes) -> tuple[bytes, list[bytes]]:
    """(commit, tag objects in front of it) for a ref value."""
    extra = []
    while repo.odb.get(tip)[0] == ObjType.TAG:
        extra.append(tip)
        tip = read_tag(repo.odb, tip).target
    return tip, extra


def _send_objects(repo, client, commits, result: PushResult, progress: Progress,
                  extra: list[bytes] = ()) -> None:
    odb = repo.odb
    objects = _closure(repo, commits) | set(extra)
    hexes = sorted(o.hex() for o in objects)
    found = client.lookup(hexes)
    kinds = dict(odb.index.pack_names())
    send = {odb.locate(bytes.fromhex(h))[0] for h in hexes if h not in found}
    ordered = sorted(send, key=lambda p: (kinds.get(p) != KIND_DATA, p))   # data first
    for i, pack in enumerate(ordered):
        kind, entries = odb.pack_entries(pack)
        label = _KIND.get(kind, "meta")
        rows = [[e.oid.hex(), e.offset, e.length, label] for e in entries]
        result.bytes_sent += client.upload_pack(
            pack, repo.ldv_dir / "objects" / pack_path(pack), label, rows)
        progress("Pushing packs", i + 1, len(ordered))
    graph = {}
    for c in commits:
        graph[c.hex()] = [p.hex() for p in read_commit(odb, c).parents]
    needed = set(ordered) | {found[h][0] for h in hexes if h in found}
    for start in range(0, len(commits), 5000):
        part = dict(list(graph.items())[start:start + 5000])
        client.add_graph(part, sorted(needed))
    if extra and not commits:
        # Tag objects ride with their commit, so a fetch of the commit brings them.
        head = _peel(repo, extra[-1])[0]
        client.add_graph({head.hex(): [p.hex() for p in read_commit(odb, head).parents]},
                         sorted(needed))
    result.commits, result.packs = len(commits), len(ordered)


def _sync_keyring(repo, client: RemoteClient) -> None:
    theirs = client.get_keyring()
    if theirs is not None and theirs != repo.keyring_file():
        repo.merge_keyring(theirs)
    if theirs != repo.keyring_file():
        client.put_keyring(repo.keyring_file())


def _track(repo, remote: str, name: str, tip: bytes) -> None:
    if name.startswith("refs/heads/"):
        repo.refs.set(f"refs/remotes/{remote}/{name[len('refs/heads/'):]}", tip,
                      message=f"update by push to {remote}")


# -- fetch ----------------------------------------------------------------------------

@dataclass
class FetchResult:
    updated: dict[str, str] = field(default_factory=dict)   # local ref -> new target
    packs: int = 0
    bytes_fetched: int = 0


def fetch(repo, client: RemoteClient, remote: str, *, progress: Progress = _noop,
          depth: int | None = None, kinds: list[str] | None = None,
          unshallow: bool = False) -> FetchResult:
    """Bring the remote's refs and the packs they need; update refs/remotes/<remote>/*.

    ``depth`` limits the history to the newest N commits of each ref (a shallow
    clone; its boundary is kept in plumbing/shallow.py); on a shallow clone it
    deepens to N, and ``unshallow`` fetches everything beyond the boundary.
    ``kinds=["meta"]`` brings history, trees and file lists but no file contents
    (the first step of a partial clone; see fetch_path)."""
    refs = _tracked(repo, remote, verified_refs(repo, client, remote))
    result = FetchResult()
    if kinds is None and repo.config.get(f"remote.{remote}.filter"):
        kinds = ["meta"]        # a partial clone: contents only by fetch_path
    old = read_shallow(repo)
    # Tags are not fetched for their own sake in a single-branch clone: one comes
    # along when its target arrives with the branch (as git's --single-branch).
    single = bool(repo.config.get(f"remote.{remote}.branch"))
    wanted = {n: v for n, v in refs.items()
              if not (single and n.startswith("refs/tags/"))}
    wants, haves = _wants_haves(repo, wanted, old, depth, unshallow)
    # An interrupted fetch may have imported a tip's commit (metadata packs come
    # first) but not all it needs: what it wanted stays wanted until one completes.
    pending = _pending(repo, remote)
    wants = sorted(set(wants) | pending)
    if wants:
        if set(wants) != pending:
            _save_pending(repo, remote, wants)
        shallow = bool(old or depth or unshallow)
        plan = client.negotiate(wants, haves, depth=None if unshallow else depth,
                                kinds=kinds, parents=shallow, entries=len(repo.odb.index) > 0)
        if shallow:
            graph = _shallow_graph(repo, plan, old)
            before = {p for ps in graph.values() for p in ps if repo.odb.has(p)}
        _fetch_packs(repo, client, plan["packs"], result, progress)
        if shallow:
            fetched = {bytes.fromhex(c) for c in plan["commits"]}
            write_shallow(repo, boundary(graph, fetched, before))
        still = [w for w in wants if not repo.odb.has(bytes.fromhex(w))]
        if still:           # e.g. a tag object on a commit this clone already had
            packs = sorted({v[0] for v in client.lookup(still).values()})
            _fetch_packs(repo, client, [client.pack_info(p) for p in packs], result,
                         progress)
        repo.delete_secret(f"sync/{remote}.pending")
    theirs = client.get_keyring()
    if theirs is not None and theirs != repo.keyring_file():
        repo.merge_keyring(theirs)
    for name, (ref, _counter) in refs.items():
        target = bytes.fromhex(ref.target)
        if name.startswith("refs/heads/"):
            local = f"refs/remotes/{remote}/{name[len('refs/heads/'):]}"
        elif name.startswith("refs/tags/") and repo.refs.read(name) is None:
            if single and not repo.odb.has(target):
                continue
            local = name
        else:
            continue
        if repo.refs.read(local) != target:
            repo.refs.set(local, target, message=f"fetch from {remote}")
            result.updated[local] = ref.target
    path = repo.config.get(f"remote.{remote}.filter")
    for local, target in result.updated.items() if path else ():
        _fetch_path_if_there(repo, client, bytes.fromhex(target), path, result, progress)
    return result


def _fetch_path_if_there(repo, client, commit: bytes, path: str, result: FetchResult,
                         progress: Progress) -> None:
    """A partial clone's fetch: the path's contents at a new tip, so switch and
    pull can check it out (tags and commits without the path bring nothing)."""
    from ldv.plumbing.trees import lookup
    if repo.odb.get(commit)[0] != ObjType.COMMIT:
        return
    if lookup(repo.odb, read_commit(repo.odb, commit).tree, path) is not None:
        result.bytes_fetched += fetch_path(repo, client, commit, path,
                                           progress=progress).bytes_fetched


def _tracked(repo, remote: str, refs: dict) -> dict:
    """The remote refs this repository follows: all of them, or with
    ``remote.<name>.branch`` set (a single-branch clone) that branch and tags."""
    only = repo.config.get(f"remote.{remote}.branch")
    if not only:
        return refs
    return {n: v for n, v in refs.items()
            if n == f"refs/heads/{only}" or n.startswith("refs/tags/")}


def _wants_haves(repo, refs, shallow: set[bytes], depth, unshallow: bool):
    """What to ask for.  Deepening sends no haves: the server would take every
    ancestor of a have as held, and a shallow clone holds none beyond its boundary."""
    tips = {r.target for r, _ in refs.values()}
    missing = {t for t in tips if not repo.odb.has(bytes.fromhex(t))}
    if unshallow:
        beyond = {p.hex() for c in shallow for p in read_commit(repo.odb, c).parents
                  if not repo.odb.has(p)}
        return sorted(missing | beyond), []
    if depth is not None and shallow:
        return sorted(tips), []
    haves = sorted({oid.hex() for oid in repo.refs.list("refs/").values()})
    return sorted(missing), haves


def _shallow_graph(repo, plan: dict, old: set[bytes]) -> dict[bytes, list[bytes]]:
    """Parents of the commits about to arrive (from the server) and of the old
    boundary (local), as plumbing.shallow.boundary wants them."""
    graph = {bytes.fromhex(c): [bytes.fromhex(p) for p in ps]
             for c, ps in plan.get("parents", {}).items()}
    for c in old:
        graph.setdefault(c, list(read_commit(repo.odb, c).parents))
    return graph


def _fetch_packs(repo, client, packs: list[dict], result: FetchResult,
                 progress: Progress) -> None:
    """Download the packs not held yet, two at a time (metadata packs first), then
    import each; a partial download stays in objects/incoming/ and resumes."""
    from concurrent.futures import ThreadPoolExecutor
    have = {name for name, _ in repo.odb.index.pack_names()}
    incoming = repo.ldv_dir / "objects" / "incoming"
    incoming.mkdir(parents=True, exist_ok=True)
    # Packs this clone mostly holds already: only their missing entries travel.
    todo, ranged = partial.split_packs(repo, [p for p in packs if p["pack"] not in have])

    def download(p: dict) -> tuple[dict, int]:
        return p, client.download_pack(p["pack"], incoming / p["pack"], p["size"])

    with ThreadPoolExecutor(max_workers=2) as pool:
        for i, (p, fetched) in enumerate(pool.map(download, todo)):
            tmp = incoming / p["pack"]
            with open(tmp, "rb") as f:
                repo.odb.add_pack(p["pack"], f)
            os.unlink(tmp)
            result.bytes_fetched += fetched
            result.packs += 1
            progress("Fetching packs", i + 1, len(todo))
    if ranged:
        result.bytes_fetched += partial.fetch_objects(repo, client, ranged, progress=progress)


def fetch_path(repo, client: RemoteClient, commit: bytes, path: str, *,
               progress: Progress = _noop) -> FetchResult:
    """Bring the file contents under ``path`` in ``commit`` (its metadata must be
    here already): those chunks and their delta bases, found by id with
    ``objects/lookup`` and read out of the remote packs by ranges - nothing else."""
    from ldv.plumbing.blobs import iter_chunk_ids
    from ldv.plumbing.objects import MODE_DIR
    from ldv.plumbing.trees import lookup, walk
    odb, result = repo.odb, FetchResult()
    tree = read_commit(odb, commit).tree
    entry = lookup(odb, tree, path.strip("/"))
    if entry is None:
        raise BadInput(f"{path} is not in commit {commit.hex()[:12]}")
    files = walk(odb, entry.oid, path.strip("/") + "/") if entry.mode == MODE_DIR \
        else [(path, entry)]
    wanted = {c for _p, e in files if e.mode != MODE_DIR
              for c, _n in iter_chunk_ids(odb, e.oid)}
    need = {c for c in wanted if not odb.has(c)}
    if need:
        result.bytes_fetched += partial.fetch_objects(
            repo, client, partial.locate(client, need), progress=progress)
    return result


# -- pull and clone -------------------------------------------------------------------

def pull(repo, client: RemoteClient, remote: str, branch: str | None = None, *,
         progress: Progress = _noop, author=None, warn=None) -> str:
    """Fetch, then fast-forward the current branch; return what happened.  A
    diverged branch is merged (mergeops.merge) when ``author`` is given; the PII
    gate's warnings on that merge commit (pii.on_commit = warn) go to ``warn``."""
    from .checkout import move_to
    from .worktree import Workspace
    fetch(repo, client, remote, progress=progress)
    ws = Workspace(repo, progress=progress)
    short_current = ws.head_branch()
    if short_current is None:
        raise RepositoryError("HEAD is detached", hint="switch to a branch before pulling")
    current = f"refs/heads/{short_current}"
    short = branch or short_current
    theirs = repo.refs.read(f"refs/remotes/{remote}/{short}")
    if theirs is None:
        have = sorted(n.rsplit("/", 1)[1] for n in repo.refs.list(f"refs/remotes/{remote}/"))
        raise BadInput(f"the remote {remote} has no branch {short}",
                       hint=(f"push it with `ldv push {remote} {short}`" if branch is None
                             else "name another") +
                       (f"; its branches: {', '.join(have)}" if have else ""))
    ours = ws.head_commit()
    if ours == theirs or (ours is not None and is_ancestor(repo, theirs, ours)):
        return "up to date"
    if ours is not None and not is_ancestor(repo, ours, theirs) and author is not None:
        from .mergeops import merge
        merge(ws, theirs, f"{remote}/{short}", author=author)
        for line in getattr(ws, "pii_warnings", None) or ():
            if warn is not None:
                warn(line)
        return "merge"
    if ours is not None and not is_ancestor(repo, ours, theirs):
        raise Conflict(f"{current} and {remote}/{short} have diverged",
                       hint=f"run `ldv merge {remote}/{short}`, then push")
    path = repo.config.get(f"remote.{remote}.filter")
    if path:
        _refuse_local_changes(ws)
        fetch_path(repo, client, theirs, path, progress=progress)
    with repo.lock():
        if path:
            partial.sparse_checkout(repo, theirs, path, old=ours, progress=progress)
        else:
            move_to(ws, ours, theirs, force=False, verb="pull")
        repo.refs.set(current, theirs, old=ours, message=f"pull: fast-forward from {remote}")
    return "fast-forward"


def _refuse_local_changes(ws) -> None:
    st = ws.status()
    if st.staged or st.unstaged or st.unmerged:
        raise Conflict("the partial clone has local changes",
                       hint="commit them first, then pull")


def _default_branch(client: RemoteClient, branch: str | None, url: str) -> str:
    """The branch a single-branch clone follows: the one asked for, which must
    exist, else main, else the first branch the remote has."""
    heads = sorted(r.name[len("refs/heads/"):] for r in client.list_refs()
                   if r.name.startswith("refs/heads/"))
    if branch is not None:
        if branch not in heads:
            raise BadInput(f"{url} has no branch {branch!r}",
                           hint=f"its branches: {', '.join(heads)}" if heads
                           else "it has no branches yet")
        return branch
    if not heads:
        raise RepositoryError(f"{url} has no branches to clone")
    return "main" if "main" in heads else heads[0]


def clone(url: str, dest: Path, master, token: str | None, *, fingerprint: str | None = None,
          ca_file: str | None = None, branch: str | None = None, depth: int | None = None,
          filter_path: str | None = None, single_branch: bool = False,
          progress: Progress = _noop):
    """Make ``dest`` a new repository holding the remote's history; check out a branch.

    With ``single_branch`` only that branch (``branch``, else main, else the first)
    and the tags on its history are fetched, now and by later fetches.

    With ``filter_path`` it is a partial clone: all metadata, but file contents
    only under that path, which alone is checked out; the other files are in
    the index flagged SKIP_WORKTREE (partial.sparse_checkout), so status and
    commit leave them as they are."""
    from ldv.plumbing.repository import Repo
    dest = Path(dest)
    existed = dest.exists()
    if existed and (not dest.is_dir() or any(dest.iterdir())):
        # Checking out would overwrite files of the same name (git refuses too).
        raise RepositoryError(f"{dest} already exists and is not an empty folder",
                              hint="clone into a new or empty folder")
    client = RemoteClient(url, token, fingerprint=fingerprint, ca_file=ca_file,
                          progress=progress)
    with client:
        keyring = client.get_keyring()
        if keyring is None:
            raise RepositoryError(f"{url} is empty (no keyring was pushed)",
                                  hint="push to it from an existing repository first")
        # -b BRANCH must exist: refuse it before anything is written.
        chosen = _default_branch(client, branch, url) \
            if single_branch or branch is not None else None
        follow = chosen if single_branch else None
        repo = Repo.init(dest, master, keyring_file=keyring)
        try:
            return _clone_into(repo, client, url, fingerprint, branch, depth,
                               filter_path, follow, progress)
        except BaseException as e:
            # A half-made clone is no repository to resume in (no key file, no
            # checkout): remove it, so that running the command again starts over.
            repo.close()
            from .workfiles import clear_made
            clear_made(dest, existed)
            if isinstance(e, NetworkError) and not isinstance(e, RemoteError):
                e.hint = "run the clone again (it starts over)"
            raise


def _clone_into(repo, client, url, fingerprint, branch, depth, filter_path, follow,
                progress):
    """clone's work once the repository exists: fetch, then check out."""
    from .checkout import move_to
    from .worktree import Workspace
    add_remote(repo, "origin", url, fingerprint)
    if follow:
        repo.config.set("remote.origin.branch", follow)
    fetch(repo, client, "origin", progress=progress, depth=depth,
          kinds=["meta"] if filter_path else None)
    heads = repo.refs.list("refs/remotes/origin/")
    short = branch or ("main" if "refs/remotes/origin/main" in heads else
                       next((n.rsplit("/", 1)[1] for n in sorted(heads)), None))
    if short is not None and filter_path:
        fetch_path(repo, client, heads[f"refs/remotes/origin/{short}"], filter_path,
                   progress=progress)
        repo.config.set("remote.origin.filter", filter_path)
    if short is None:
        return repo
    tip = heads[f"refs/remotes/origin/{short}"]
    repo.refs.set_symbolic("HEAD", f"refs/heads/{short}")
    with repo.lock():
        if filter_path:
            partial.sparse_checkout(repo, tip, filter_path, progress=progress)
        else:
            move_to(Workspace(repo, progress=progress), None, tip, force=True, verb="clone")
        repo.refs.set(f"refs/heads/{short}", tip, message=f"clone: from {url}")
    return repo
