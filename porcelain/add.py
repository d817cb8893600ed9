"""add, rm, mv: changing what the index tracks.

``add`` writes each changed file's objects and then records it; the index is saved
only after the object store is flushed, so it never names an object that is not
durable.  Files whose stat matches their entry are skipped unopened.
"""
from __future__ import annotations

import fnmatch
import os

from ldv.plumbing.errors import BadInput, Conflict, InvalidPath
from ldv.plumbing.index import (SKIP_WORKTREE, Entry, Index, load_index, mode_of,
                                save_index)

from . import workfiles
from .worktree import AddResult

_GLOB = set("*?[")


class _NoRules:
    """`add --force`: ignore rules do not apply."""

    @staticmethod
    def has_rules(dirpath: str) -> bool:
        return False

    @staticmethod
    def excluded(relpath: str, is_dir: bool) -> bool:
        return False


_NO_RULES = _NoRules()


def add(ws, paths: list[str], *, update_only: bool = False, force: bool = False) -> AddResult:
    if not paths:
        raise BadInput("nothing specified, nothing added", hint="try `ldv add .`")
    with ws.repo.lock():
        index = load_index(ws.repo)
        todo: dict[str, os.stat_result | None] = {}
        ignored: list[str] = []
        for spec in paths:
            try:
                todo.update(_expand(ws, index, spec, update_only=update_only, force=force))
            except PathIgnored:
                ignored.append(spec)     # as git: the other paths are still added
        result = _stage(ws, index, todo)
        ws.repo.odb.flush()
        save_index(ws.repo, index)
    if ignored:
        raise PathIgnored(f"the paths {', '.join(map(repr, ignored))} are ignored by an "
                          ".ldvignore file", hint="the other paths were added; use "
                          "`ldv add --force` to add ignored ones")
    return result


class PathIgnored(BadInput):
    """An explicitly named path is ignored (git add's "paths are ignored")."""


def _expand(ws, index: Index, user_path: str, *, update_only: bool,
            force: bool) -> dict[str, os.stat_result | None]:
    """Paths a pathspec names: {path: lstat, or None for a staged deletion}."""
    spec = ws.normalize(user_path)
    full = ws.root / spec
    _refuse_beyond_symlink(ws, spec, user_path)
    found: dict[str, os.stat_result | None] = {}
    if spec == "" or (full.is_dir() and not full.is_symlink()):
        if spec and ws.ignore.is_ignored(spec, True) and not force:
            _refuse_ignored(user_path, index.paths_under(spec))
        found.update(workfiles.walk(ws.root, _NO_RULES if force else ws.ignore, spec))
    else:
        st = workfiles.lstat(ws.root, spec)
        if st is not None:
            if spec not in index and not force and ws.ignore.is_ignored(spec):
                _refuse_ignored(user_path, [])
            found[spec] = st
    tracked = index.paths_under(spec)
    for path in tracked:
        if path not in found:
            found[path] = workfiles.lstat(ws.root, path)
    if update_only:
        found = {p: s for p, s in found.items() if p in index}
    if not found and not tracked and _GLOB & set(spec):
        found = _glob(ws, index, spec, update_only)
    if not found and not tracked and spec and not os.path.lexists(full):
        raise BadInput(f"pathspec {user_path!r} did not match any files",
                       hint="check the path; `ldv status` lists what can be added")
    return found


def _refuse_beyond_symlink(ws, spec: str, user_path: str) -> None:
    parts = spec.split("/")
    for k in range(1, len(parts)):
        if (ws.root.joinpath(*parts[:k])).is_symlink():
            raise BadInput(f"pathspec {user_path!r} is beyond a symbolic link",
                           hint="name the link itself, not paths through it")


def _glob(ws, index: Index, pattern: str, update_only: bool) -> dict:
    # Git pathspec globs: '*' also matches '/'.
    out = {p: s for p, s in workfiles.walk(ws.root, ws.ignore)
           if fnmatch.fnmatchcase(p, pattern) and (p in index or not update_only)}
    for p in index.entries:
        if p not in out and fnmatch.fnmatchcase(p, pattern):
            out[p] = workfiles.lstat(ws.root, p)
    return out


def _refuse_ignored(user_path: str, tracked: list[str]) -> None:
    if not tracked:
        raise PathIgnored(f"the path {user_path!r} is ignored by an .ldvignore file",
                          hint="use `ldv add --force` if you really want to add it")


def _stage(ws, index: Index, todo: dict) -> AddResult:
    result = AddResult()
    dirs = None       # tracked directories, computed once a new path shows up
    # progress in bytes to read, so that one large file moves the bar too
    total = sum(st.st_size for p, st in todo.items() if st is not None
                and not (p in index.entries and index.entries[p].stat_matches(st)))
    done = 0

    def on_read(n: int) -> None:
        nonlocal done
        done += n
        ws.progress("add", min(done, total), total)

    for path in sorted(todo):
        st = todo[path]
        old = index.get(path)
        if st is None:
            if old is not None and not old.flags & SKIP_WORKTREE:    # absent by design
                index.remove(path)
                result.removed.append(path)
        elif old is None or not old.stat_matches(st):
            try:
                oid, size = workfiles.store_file(ws.repo.odb, ws.root, path, st,
                                                 ws.chunker, base=old.oid if old else None,
                                                 on_read=on_read)
            except (FileNotFoundError, NotADirectoryError):
                if old is not None:      # deleted while we walked: stage the deletion
                    index.remove(path)
                    result.removed.append(path)
                continue
            result.bytes_read += size
            new = Entry.from_stat(path, mode_of(st), oid, st)
            if old is None:
                if dirs is None:
                    dirs = index.dirs()
                result.removed += index.drop_conflicts(path, dirs)
                result.added.append(path)
            elif not old.same_content(new):
                result.modified.append(path)
            index.put(new)
    return result


def stage_tracked(ws, index: Index) -> None:
    """`commit -a`: stage modifications and deletions of every tracked file."""
    todo = {p: workfiles.lstat(ws.root, p) for p in index.entries}
    _stage(ws, index, todo)


# -- rm -------------------------------------------------------------------------

def rm(ws, paths: list[str], *, cached: bool = False, recursive: bool = False,
       force: bool = False) -> list[str]:
    if not paths:
        raise BadInput("no paths given to rm", hint="name the files to remove")
    with ws.repo.lock():
        index = load_index(ws.repo)
        victims: list[str] = []
        for user_path in paths:
            spec = ws.normalize(user_path)
            tracked = index.paths_under(spec)
            if not tracked:
                raise BadInput(f"pathspec {user_path!r} did not match any files",
                               hint="only tracked files can be removed")
            if tracked != [spec] and not recursive:
                raise BadInput(f"not removing {user_path!r} recursively without -r",
                               hint="add -r to remove a directory")
            victims.extend(tracked)
        victims = sorted(set(victims))
        if not cached:
            for path in victims:
                full = ws.root / path
                if full.is_dir() and not full.is_symlink():
                    raise BadInput(f"cannot remove {path!r}: it is a directory in the "
                                   "work tree", hint="use --cached to untrack it only")
        if not force:
            _check_rm(ws, index, victims, cached)
        for path in victims:
            index.remove(path)
            if not cached:
                workfiles.remove_file(ws.root, path)
        save_index(ws.repo, index)
    return victims


def _check_rm(ws, index: Index, victims: list[str], cached: bool) -> None:
    """Git's safety: never drop content that exists nowhere else."""
    head = ws.files_of(ws.head_tree())
    for path in victims:
        e = index.get(path)
        h = head.get(path)
        staged = h is None or (h.mode, h.oid) != (e.mode, e.oid)
        st = workfiles.lstat(ws.root, path)
        if st is None:
            continue      # vanished (or became a directory): nothing to lose
        dirty = not e.stat_matches(st) and (
            mode_of(st) != e.mode or ws.hash_file(path, st) != e.oid)
        if staged and dirty:
            raise Conflict(f"{path!r} has staged content different from both the file "
                           "and HEAD", hint="use -f to force removal")
        if not cached and staged:
            raise Conflict(f"{path!r} has changes staged in the index",
                           hint="use --cached to keep the file, or -f to force removal")
        if not cached and dirty:
            raise Conflict(f"{path!r} has local modifications",
                           hint="use --cached to keep the file, or -f to force removal")


# -- mv -------------------------------------------------------------------------

def mv(ws, src: str, dst: str) -> None:
    with ws.repo.lock():
        index = load_index(ws.repo)
        s, d = ws.normalize(src), ws.normalize(dst)
        if not s:
            raise InvalidPath("cannot move the work tree's root", hint="name a path in it")
        target = ws.root / d
        if d == "" or (target.is_dir() and not target.is_symlink()):
            d = f"{d}/{s.rsplit('/', 1)[-1]}" if d else s.rsplit("/", 1)[-1]
        tracked = index.paths_under(s)
        if not tracked:
            raise BadInput(f"not under version control: {src!r}",
                           hint="`ldv add` it first, or move it with your shell")
        if os.path.lexists(ws.root / d):
            raise BadInput(f"destination exists: {d!r}", hint="remove it first")
        if not os.path.lexists(ws.root / s):
            raise BadInput(f"bad source: {src!r} is tracked but missing",
                           hint="restore it with `ldv restore` or stage its removal")
        if workfiles.under(d, s):
            raise BadInput(f"cannot move {src!r} into itself", hint="choose another place")
        before = {p: workfiles.lstat(ws.root, p) for p in tracked}
        workfiles.make_parents(ws.root, d)
        os.rename(ws.root / s, ws.root / d)
        for path in tracked:
            e = index.remove(path)
            new_path = d + path[len(s):]
            st = workfiles.lstat(ws.root, new_path)
            if st is not None and before[path] is not None and e.stat_matches(before[path]):
                index.put(Entry.from_stat(new_path, e.mode, e.oid, st))
            else:   # the file was dirty or odd: keep its staged id, verify on next look
                index.put(Entry(new_path, e.mode, e.oid, e.size))
        save_index(ws.repo, index)
