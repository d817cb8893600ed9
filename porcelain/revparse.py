"""Revisions in Git's syntax, resolved to object ids.

Grammar (a subset of gitrevisions(7))::

    rev    := base suffix* [":" path]
    base   := "HEAD" | "@" | ref name | hex id prefix (>= 4 characters)
              | ref "@{" N "}"   (the ref's N-th prior value, from its reflog)
    suffix := "~" [N] | "^" [N] | "^{}" | "^{commit}" | "^{tree}"

A ref name is looked up as Git does: NAME, refs/NAME, refs/tags/NAME,
refs/heads/NAME, refs/remotes/NAME, refs/remotes/NAME/HEAD.  ``~N`` follows first
parents N times; ``^N`` takes the N-th parent.  Annotated tags are peeled to their
commit by every suffix and by :func:`resolve_commit`.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from ldv.plumbing.errors import BadRevision
from ldv.plumbing.objects import TreeEntry, read_commit, read_tag
from ldv.plumbing.odb import ObjType
from ldv.plumbing.trees import lookup

MIN_PREFIX = 4
_SUFFIX = re.compile(r"(~\d*|\^\{\w*\}|\^\d*)")
_HEX = re.compile(r"[0-9a-f]{4,64}\Z")
_LOOKUP = ("{}", "refs/{}", "refs/tags/{}", "refs/heads/{}", "refs/remotes/{}",
           "refs/remotes/{}/HEAD")


@dataclass(frozen=True)
class Resolved:
    """What a revision names: an object, or with ``REV:PATH`` a tree entry."""

    oid: bytes
    type: ObjType
    path: str | None = None
    entry: TreeEntry | None = None


def resolve(repo, rev: str) -> bytes:
    """The id ``rev`` names (a commit, a tag, or with REV:PATH a blob/tree)."""
    return parse(repo, rev).oid


def resolve_commit(repo, rev: str) -> bytes:
    """The commit ``rev`` names, peeling annotated tags; BadRevision otherwise."""
    r = parse(repo, rev)
    if r.path is not None:
        raise BadRevision(f"{rev!r} names a file, not a commit",
                          hint="drop the ':PATH' part")
    return peel_to_commit(repo, r.oid, rev)


def resolve_tree(repo, rev: str) -> bytes:
    """The tree ``rev`` names: a commit's root tree, or a directory with REV:PATH."""
    r = parse(repo, rev)
    if r.type == ObjType.TREE:
        return r.oid
    if r.path is not None:
        raise BadRevision(f"{rev!r} is a file, not a directory")
    return read_commit(repo.odb, peel_to_commit(repo, r.oid, rev)).tree


def parse(repo, rev: str) -> Resolved:
    """Resolve ``rev`` completely (see the module docstring for the grammar)."""
    if not rev:
        raise BadRevision("empty revision", hint="try HEAD, a branch name or an id")
    spec, sep, path = rev.partition(":")
    if sep and not spec:
        raise BadRevision(f"{rev!r}: ':PATH' (the index) is not supported here",
                          hint="use REV:PATH, e.g. HEAD:data.csv")
    base, suffixes = _split(spec, rev)
    oid = resolve_base(repo, base, rev)
    kind = object_type(repo, oid)
    for s in suffixes:
        oid, kind = _apply(repo, oid, kind, s, rev)
    if not sep:
        return Resolved(oid, kind)
    return _at_path(repo, oid, rev, path)


def _split(spec: str, rev: str) -> tuple[str, list[str]]:
    m = re.search(r"[~^]", spec)
    base, rest = (spec, "") if m is None else (spec[:m.start()], spec[m.start():])
    suffixes = _SUFFIX.findall(rest)
    if "".join(suffixes) != rest or not base:
        raise BadRevision(f"cannot parse revision {rev!r}",
                          hint="see `ldv rev-parse --help` for the syntax")
    return base, suffixes


_REFLOG = re.compile(r"(.*)@\{(\d+)\}\Z")


def resolve_base(repo, name: str, rev: str | None = None) -> bytes:
    """A ref name, HEAD/@, REF@{N} or a hex id prefix to an id."""
    m = _REFLOG.match(name)
    if m:
        # Git: a bare @{N} is the current branch's reflog (HEAD's when detached)
        ref = m.group(1) or repo.refs.read_symbolic("HEAD") or "HEAD"
        return _from_reflog(repo, ref, int(m.group(2)), rev or name)
    if name == "@":
        name = "HEAD"
    for pattern in _LOOKUP:
        ref = pattern.format(name)
        if _plausible_ref(ref):
            oid = repo.refs.read(ref)
            if oid is not None:
                return oid
    if name in _MERGE_REFS:
        oid = _merge_ref(repo, name)
        if oid is not None:
            return oid
    if name == "HEAD":
        raise BadRevision("HEAD does not point to a commit yet",
                          hint="make a first commit with `ldv commit`")
    if _HEX.match(name):
        return _by_prefix(repo, name)
    raise BadRevision(f"unknown revision {rev or name!r}",
                      hint="use a branch or tag name, HEAD~N, or an id prefix of 4+ characters")


def full_ref_name(repo, name: str) -> str | None:
    """The ref NAME means (HEAD, refs/heads/NAME, ...), None when none exists."""
    if name in ("@", "HEAD"):
        return "HEAD"
    for pattern in _LOOKUP:
        ref = pattern.format(name)
        if _plausible_ref(ref) and repo.refs.read(ref) is not None:
            return ref
    return None


def _from_reflog(repo, name: str, n: int, rev: str) -> bytes:
    ref = full_ref_name(repo, name)
    if ref is None:
        raise BadRevision(f"unknown ref {name!r} in {rev!r}", hint="see `ldv branch`")
    entries = [e for e in repo.refs.reflog(ref) if e.new is not None]
    if n >= len(entries):
        raise BadRevision(f"{rev!r}: the reflog of {ref} has only {len(entries)} entries",
                          hint="see `ldv reflog " + name + "`")
    return entries[-1 - n].new


_MERGE_REFS = {"MERGE_HEAD": "merge", "CHERRY_PICK_HEAD": "cherry-pick",
               "REVERT_HEAD": "revert", "ORIG_HEAD": None}


def _merge_ref(repo, name: str) -> bytes | None:
    """Git's MERGE_HEAD & co., kept in the sealed merge state (mergestate.py)."""
    from .mergestate import read_state
    state = read_state(repo) if hasattr(repo, "read_secret") else None
    if state is None or _MERGE_REFS[name] not in (None, state.kind):
        return None
    return state.head if name == "ORIG_HEAD" else state.theirs


def _plausible_ref(ref: str) -> bool:
    from ldv.plumbing.refs import _ref_name_problem
    return _ref_name_problem(ref) is None


def _by_prefix(repo, prefix: str) -> bytes:
    if len(prefix) == 64:
        oid = bytes.fromhex(prefix)
        if repo.odb.has(oid):
            return oid
        raise BadRevision(f"no object {prefix}", hint="check the id")
    hits = find_by_prefix(repo, prefix)
    if len(hits) > 1:
        # Git's rule: when a prefix is ambiguous, prefer the one commit-ish.
        commits = [h for h in hits if object_type(repo, h) in (ObjType.COMMIT, ObjType.TAG)]
        if len(commits) == 1:
            return commits[0]
        raise BadRevision(f"id prefix {prefix} is ambiguous ({len(hits)} objects)",
                          hint="give more characters")
    if not hits:
        raise BadRevision(f"unknown revision {prefix!r}",
                          hint="no object id starts with it; check `ldv log`")
    return hits[0]


def find_by_prefix(repo, prefix: str) -> list[bytes]:
    """Every stored id whose hex starts with ``prefix``."""
    finder = getattr(repo.odb, "find_prefix", None)
    if finder is not None:
        return list(finder(prefix))
    # Compare raw bytes (no hex per id): a repository holds millions of chunk ids.
    head = bytes.fromhex(prefix[:len(prefix) // 2 * 2])
    return [oid for oid in repo.odb.iter_ids()
            if oid.startswith(head) and oid.hex().startswith(prefix)]


def object_type(repo, oid: bytes) -> ObjType:
    """The type of a stored object (ObjectNotFound when it is missing)."""
    typer = getattr(repo.odb, "type_of", None)
    if typer is not None:
        return ObjType(typer(oid))
    return repo.odb.get(oid)[0]


def peel_to_commit(repo, oid: bytes, rev: str = "") -> bytes:
    """Follow annotated tags to the commit they name."""
    for _ in range(16):
        kind = object_type(repo, oid)
        if kind == ObjType.COMMIT:
            return oid
        if kind != ObjType.TAG:
            raise BadRevision(f"{rev or oid.hex()!r} is a {kind.name.lower()}, not a commit")
        oid = read_tag(repo.odb, oid).target
    raise BadRevision(f"{rev!r}: tag chain too long")


def _apply(repo, oid, kind, suffix: str, rev: str):
    commit = peel_to_commit(repo, oid, rev)
    if suffix in ("^{}", "^{commit}"):
        return commit, ObjType.COMMIT
    if suffix == "^{tree}":
        return read_commit(repo.odb, commit).tree, ObjType.TREE
    if suffix.startswith("^{"):
        raise BadRevision(f"{rev!r}: unsupported peel {suffix}")
    n = int(suffix[1:]) if len(suffix) > 1 else 1
    if suffix[0] == "~":
        for _ in range(n):
            commit = _parent(repo, commit, 0, rev)
        return commit, ObjType.COMMIT
    if n == 0:
        return commit, ObjType.COMMIT
    return _parent(repo, commit, n - 1, rev), ObjType.COMMIT


def _parent(repo, commit: bytes, i: int, rev: str) -> bytes:
    parents = read_commit(repo.odb, commit).parents
    if i >= len(parents):
        raise BadRevision(f"{rev!r}: commit {commit.hex()[:12]} has no parent {i + 1}",
                          hint="the history is shorter than that")
    if not repo.odb.has(parents[i]):
        raise BadRevision(f"{rev!r}: the parent of {commit.hex()[:12]} is beyond this "
                          "shallow clone's history", hint="run `ldv fetch --unshallow`")
    return parents[i]


def _at_path(repo, oid: bytes, rev: str, path: str) -> Resolved:
    tree = read_commit(repo.odb, peel_to_commit(repo, oid, rev)).tree
    path = path.strip("/")
    if not path:
        return Resolved(tree, ObjType.TREE, "", None)
    entry = lookup(repo.odb, tree, path)
    if entry is None:
        raise BadRevision(f"path {path!r} does not exist in {rev.partition(':')[0]!r}",
                          hint="check it with `ldv ls-tree -r`")
    kind = ObjType.TREE if entry.is_dir else ObjType.BLOB
    return Resolved(entry.oid, kind, path, entry)


__all__ = ["Resolved", "resolve", "resolve_commit", "resolve_tree", "parse",
           "peel_to_commit", "object_type", "find_by_prefix"]
