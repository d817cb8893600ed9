"""Branches and tags: list, create, rename, delete — ``git branch`` and ``git tag``.

Branch and tag names are the only names stored in the clear (DESIGN.md); they
follow Git's ref-name rules.  Every change goes through the ref store's
compare-and-swap, so two writers never silently overwrite each other.
"""
from __future__ import annotations

from collections import deque
from dataclasses import dataclass

from ldv.plumbing.errors import BadInput, Conflict, InvalidRefName
from ldv.plumbing.objects import Tag, read_commit, write_tag
from ldv.plumbing.refs import validate_ref_name

from . import revparse

HEADS = "refs/heads/"
TAGS = "refs/tags/"


@dataclass(frozen=True)
class RefInfo:
    name: str          # short name: "main", "v1"
    oid: bytes
    current: bool = False


def current_branch(repo) -> str | None:
    """The branch HEAD points to (short name), None when detached."""
    target = repo.refs.read_symbolic("HEAD")
    if target and target.startswith(HEADS):
        return target[len(HEADS):]
    return None


def check_name(kind: str, name: str) -> str:
    """Validate a short branch/tag name; return its full ref name."""
    prefix = HEADS if kind == "branch" else TAGS
    if not name or name.startswith("-") or name == "HEAD":
        raise InvalidRefName(f"{name!r} is not a valid {kind} name",
                             hint="names may not start with '-' or be 'HEAD'")
    validate_ref_name(prefix + name)
    return prefix + name


def list_branches(repo) -> list[RefInfo]:
    cur = current_branch(repo)
    return [RefInfo(n[len(HEADS):], oid, n[len(HEADS):] == cur)
            for n, oid in sorted(repo.refs.list(HEADS).items())]


def create_branch(repo, name: str, start: bytes, *, force: bool = False) -> None:
    ref = check_name("branch", name)
    start = revparse.peel_to_commit(repo, start)
    exists = repo.refs.read(ref)
    if exists is not None and not force:
        raise BadInput(f"a branch named {name!r} already exists",
                       hint="pick another name, or use -f to move it")
    if force and current_branch(repo) == name:
        raise BadInput(f"cannot force-update the current branch {name!r}",
                       hint="use `ldv reset` to move the current branch")
    repo.refs.set(ref, start, old=exists, message=f"branch: Created from {start.hex()[:12]}")


def delete_branch(repo, name: str, *, force: bool = False) -> bytes:
    """Delete a branch; without ``force`` it must be merged into HEAD."""
    ref = check_name("branch", name)
    oid = repo.refs.read(ref)
    if oid is None:
        raise BadInput(f"branch {name!r} not found", hint="list branches with `ldv branch`")
    if current_branch(repo) == name:
        raise BadInput(f"cannot delete branch {name!r}: it is checked out",
                       hint="switch to another branch first")
    head = repo.refs.read("HEAD")
    if not force and (head is None or not is_ancestor(repo, oid, head)):
        raise Conflict(f"the branch {name!r} is not fully merged",
                       hint=f"if you are sure you want to delete it, run `ldv branch -D {name}`")
    repo.refs.delete(ref, old=oid)
    return oid


def rename_branch(repo, old: str, new: str, *, force: bool = False) -> None:
    src, dst = check_name("branch", old), check_name("branch", new)
    oid = repo.refs.read(src)
    if oid is None:
        raise BadInput(f"branch {old!r} not found", hint="list branches with `ldv branch`")
    existing = repo.refs.read(dst)
    if existing is not None and not force:
        raise BadInput(f"a branch named {new!r} already exists", hint="use -M to overwrite it")
    repo.refs.set(dst, oid, old=existing, message=f"branch: renamed {src} to {dst}")
    if current_branch(repo) == old:
        repo.refs.set_symbolic("HEAD", dst, message=f"branch: renamed {src} to {dst}")
    repo.refs.delete(src, old=oid)


def list_tags(repo) -> list[RefInfo]:
    return [RefInfo(n[len(TAGS):], oid) for n, oid in sorted(repo.refs.list(TAGS).items())]


def create_tag(repo, name: str, target: bytes, *, message: str | None = None,
               tagger: str = "", now: int = 0, tz: int = 0, force: bool = False) -> bytes:
    """Point refs/tags/NAME at ``target`` (an annotated tag object when ``message``)."""
    ref = check_name("tag", name)
    exists = repo.refs.read(ref)
    if exists is not None and not force:
        raise BadInput(f"tag {name!r} already exists", hint="use -f to replace it")
    oid = target
    if message is not None:
        kind = revparse.object_type(repo, target)
        oid = write_tag(repo.odb, Tag(target, kind, name, tagger, now, tz, message))
        repo.odb.flush()
    repo.refs.set(ref, oid, old=exists, message=f"tag: {name}")
    return oid


def delete_tag(repo, name: str) -> bytes:
    ref = check_name("tag", name)
    oid = repo.refs.read(ref)
    if oid is None:
        raise BadInput(f"tag {name!r} not found", hint="list tags with `ldv tag`")
    repo.refs.delete(ref, old=oid)
    return oid


def is_ancestor(repo, a: bytes, b: bytes, *, limit: int = 1_000_000) -> bool:
    """True when commit ``a`` is reachable from commit ``b`` (or equal)."""
    seen, todo = {b}, deque([b])
    while todo and len(seen) <= limit:
        oid = todo.popleft()
        if oid == a:
            return True
        for p in read_commit(repo.odb, oid).parents:
            if p not in seen:
                seen.add(p)
                todo.append(p)
    return False


__all__ = ["RefInfo", "current_branch", "list_branches", "create_branch", "delete_branch",
           "rename_branch", "list_tags", "create_tag", "delete_tag", "is_ancestor", "is_branch"]


def is_branch(repo, name: str) -> bool:
    """True when refs/heads/NAME exists (False for revisions like HEAD~2)."""
    from ldv.plumbing.errors import InvalidRefName
    try:
        return repo.refs.read(HEADS + name) is not None
    except InvalidRefName:
        return False
