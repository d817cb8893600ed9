"""switch, checkout and restore: moving the work tree between trees.

Switching is Git's two-way merge (read-tree -m -u, unpack-trees' twoway_merge):
for each path that differs between the old and the new commit, the index entry
and the file must still equal the old version -- then the path is rewritten --
or already equal the new one -- then it is kept.  Anything else is local work
that would be lost, and the whole switch stops before touching a file
(WouldClobber, listing the paths).  Paths equal in both commits are never
touched, so local changes to them carry over and only differing files are written.
"""
from __future__ import annotations

import os
import shutil
from dataclasses import dataclass, field

from ldv.plumbing.errors import BadInput, BadRevision, WouldClobber
from ldv.plumbing.index import (SKIP_WORKTREE, Entry, Index, load_index, mode_of,
                                save_index)
from ldv.plumbing.refs import validate_ref_name
from ldv.plumbing.trees import diff_trees

from . import workfiles
from .partial import sparse_path

_SHOW = 10   # paths listed in a one-line error


@dataclass
class Plan:
    writes: list[str] = field(default_factory=list)     # from the new tree
    deletes: list[str] = field(default_factory=list)
    dirty: list[str] = field(default_factory=list)      # local changes in the way
    untracked: list[str] = field(default_factory=list)  # untracked files in the way
    removed_untracked: list[str] = field(default_factory=list)


def _key(e):
    return None if e is None else (e.mode, e.oid)


def uptodate(ws, e: Entry) -> bool:
    """Does the file equal its index entry?  A missing file counts as up to date."""
    try:
        st = os.lstat(ws.root / e.path)
    except FileNotFoundError:
        return True
    except NotADirectoryError:
        return False      # a parent became a file: git counts that as a change
    if mode_of(st) is None:
        return False      # a directory (or fifo...) where the file was
    if e.stat_matches(st):
        return True
    return mode_of(st) == e.mode and st.st_size == e.size and ws.hash_file(e.path, st) == e.oid


def _intact(ws, e: Entry) -> bool:
    """Present and equal to its entry (a forced checkout restores missing files)."""
    return os.path.lexists(ws.root / e.path) and uptodate(ws, e)


def plan_two_way(ws, index: Index, old: dict, new: dict, force: bool) -> Plan:
    plan = Plan()
    for p in sorted(old.keys() | new.keys()):
        o, n, cur = _key(old.get(p)), _key(new.get(p)), index.get(p)
        i = _key(cur)
        if o == n and not force:
            continue
        if cur is not None:
            if i == n and (not force or _intact(ws, cur)):
                continue
            if force or (i == o and uptodate(ws, cur)):
                (plan.writes if n else plan.deletes).append(p)
            else:
                plan.dirty.append(p)
        elif n is None:
            # not in the index: an untracked file now; even a forced move keeps it
            if _occupied(ws, p) and not force:
                plan.removed_untracked.append(p)
        elif o is not None and not force:
            plan.dirty.append(p)          # a staged deletion would be undone
        else:
            plan.writes.append(p)
    if force:
        plan.deletes += [p for p in index.entries if p not in new and p not in old]
    else:
        _check_in_the_way(ws, index, plan)
    return plan


def _occupied(ws, p: str) -> bool:
    """Is there a non-ignored file at ``p`` that git would call untracked?"""
    return os.path.lexists(ws.root / p) and not ws.ignore.is_ignored(p)


def _check_in_the_way(ws, index: Index, plan: Plan) -> None:
    """Untracked files where a new file, or a new file's parent directory, goes."""
    leaving = set(plan.deletes)
    for p in plan.writes:
        if p in index.entries:
            continue
        full = ws.root / p
        if full.is_dir() and not full.is_symlink():
            # git's verify_clean_subdirectory: tracked files there go if clean
            for q in index.paths_under(p):
                if q not in leaving:
                    if uptodate(ws, index.entries[q]):
                        plan.deletes.append(q)
                        leaving.add(q)
                    else:
                        plan.dirty.append(q)
            for q, _ in workfiles.walk(ws.root, ws.ignore, p):
                if q not in leaving and q not in index.entries:
                    plan.untracked.append(q)
        elif _occupied(ws, p):
            plan.untracked.append(p)
        parts = p.split("/")
        for k in range(1, len(parts)):
            d = "/".join(parts[:k])
            full = ws.root / d
            if full.is_symlink() or full.is_file():
                if d not in leaving and not ws.ignore.is_ignored(d):
                    plan.untracked.append(d)
                break


def refuse(plan: Plan, verb: str) -> None:
    """Raise Git's messages, one line each, when the plan would lose work."""
    for paths, what, hint in (
            (plan.dirty, "your local changes to the following files would be "
             f"overwritten by {verb}", "commit your changes or stash them first"),
            (sorted(set(plan.untracked)), "the following untracked working tree files "
             f"would be overwritten by {verb}", "move or remove them first"),
            (plan.removed_untracked, "the following untracked working tree files "
             f"would be removed by {verb}", "move or remove them first")):
        if paths:
            shown = ", ".join(paths[:_SHOW])
            more = f" and {len(paths) - _SHOW} more" if len(paths) > _SHOW else ""
            err = WouldClobber(f"{what}: {shown}{more}", hint=hint + "; nothing was changed")
            err.paths = list(paths)
            raise err


def apply(ws, index: Index, plan: Plan, new: dict, label: str = "checkout") -> None:
    """Carry out a plan: deletions first (a file may become a directory), then writes.
    Progress counts bytes written (a deletion counts as one), so large files show."""
    total = len(plan.deletes) + sum(new[p].size for p in plan.writes)
    done = 0

    def on_write(n: int) -> None:
        nonlocal done
        done += n
        ws.progress(label, done, total)

    for p in plan.deletes:
        workfiles.remove_file(ws.root, p)
        index.remove(p)
        on_write(1)
    sparse = sparse_path(ws.repo)
    for p in plan.writes:
        e = new[p]
        if sparse is not None and not workfiles.under(p, sparse):
            # a partial clone: never checked out, kept in the index as it is
            index.put(Entry(p, e.mode, e.oid, e.size, flags=SKIP_WORKTREE))
            continue
        full = ws.root / p
        if full.is_dir() and not full.is_symlink():
            shutil.rmtree(full)   # only ignored files are left: checked by the plan
        st = workfiles.write_file(ws.repo.odb, ws.root, p, e.mode, e.oid, on_write)
        index.put(Entry.from_stat(p, e.mode, e.oid, st))


def move_to(ws, old_commit: bytes | None, new_commit: bytes | None, *, force: bool,
            verb: str = "checkout") -> None:
    """Update index and work tree from ``old_commit`` to ``new_commit`` (lock held)."""
    index = load_index(ws.repo)
    old_tree, new_tree = ws.tree_of(old_commit), ws.tree_of(new_commit)
    was_clean = index.tree is not None and index.tree == old_tree
    old, new = _sides(ws, old_tree, new_tree, force)
    plan = plan_two_way(ws, index, old, new, force)
    refuse(plan, verb)
    apply(ws, index, plan, new, verb)
    ws.repo.odb.flush()
    if force or was_clean:     # the index now holds exactly the new tree
        index.set_tree(new_tree if not force or len(index.entries) == len(new) else None,
                       new_commit)
    save_index(ws.repo, index)


def _sides(ws, old_tree, new_tree, force: bool) -> tuple[dict, dict]:
    """The files of both trees; without ``force`` only those that differ (equal
    subtrees are skipped unread, so a small switch in a large tree stays small)."""
    if force:
        return ws.files_of(old_tree), ws.files_of(new_tree)
    old, new = {}, {}
    for path, o, n in diff_trees(ws.repo.odb, old_tree, new_tree):
        if o is not None:
            old[path] = o
        if n is not None:
            new[path] = n
    return old, new


# -- the verbs ------------------------------------------------------------------

def switch(ws, branch: str, *, create: bool, start: bytes | None, force: bool) -> None:
    ref = f"refs/heads/{branch}"
    validate_ref_name(ref)
    refs = ws.repo.refs
    with ws.repo.lock():
        _refuse_unmerged(ws, force)
        old = ws.head_commit()
        current = refs.read_symbolic("HEAD")
        if create:
            if refs.read(ref) is not None:
                raise BadInput(f"a branch named {branch!r} already exists",
                               hint="switch to it without -c, or pick another name")
            target = start if start is not None else old
        else:
            target = refs.read(ref)
            if target is None:
                raise BadRevision(f"invalid reference: {branch}",
                                  hint="list branches with `ldv branch`; create one "
                                  "with `ldv switch -c`")
        if target is not None and (target != old or force):
            move_to(ws, old, target, force=force)
        if create and target is not None:
            refs.set(ref, target, old=None, message=f"branch: Created from {_name(old, current)}")
        refs.set_symbolic("HEAD", ref,
                          message=f"checkout: moving from {_name(old, current)} to {branch}")


def _name(oid: bytes | None, symbolic: str | None) -> str:
    if symbolic:
        return symbolic.removeprefix("refs/heads/")
    return oid.hex() if oid else "nothing"


def _refuse_unmerged(ws, force: bool) -> None:
    """Git's "you need to resolve your current index first" (mergeops.py)."""
    from .mergestate import refuse_unmerged
    refuse_unmerged(ws, force)


def checkout_detached(ws, commit_oid: bytes, *, force: bool) -> None:
    with ws.repo.lock():
        _refuse_unmerged(ws, force)
        old = ws.head_commit()
        current = ws.repo.refs.read_symbolic("HEAD")
        move_to(ws, old, commit_oid, force=force)
        ws.repo.refs.set_detached("HEAD", commit_oid, message="checkout: moving from "
                                  f"{_name(old, current)} to {commit_oid.hex()}")


def _match(spec: str, paths, user_path: str) -> list[str]:
    found = [p for p in paths if workfiles.under(p, spec)]
    return found


def checkout_paths(ws, paths: list[str], *, source: bytes | None) -> None:
    """`checkout -- PATHS` (from the index) or `checkout REV -- PATHS` (overlay)."""
    if not paths:
        raise BadInput("no paths given", hint="name the files to check out")
    with ws.repo.lock():
        index = load_index(ws.repo)
        src = ws.files_of(ws.tree_of(source)) if source is not None else index.entries
        todo: list[str] = []
        for user_path in paths:
            found = _match(ws.normalize(user_path), src, user_path)
            if not found:
                raise BadInput(f"pathspec {user_path!r} did not match any file(s) known "
                               "to ldv", hint="check the path with `ldv ls-files`")
            todo += found
        for p in sorted(set(todo)):
            _restore_file(ws, index, p, src[p])
        save_index(ws.repo, index)


def _restore_file(ws, index: Index, p: str, e) -> None:
    """Write ``e`` at ``p`` unless the file already equals it; record it in the index."""
    cur = index.get(p)
    probe = Entry(p, e.mode, e.oid, e.size)
    if cur is not None and cur.same_content(probe) and _intact(ws, cur):
        return
    full = ws.root / p
    if full.is_dir() and not full.is_symlink():
        shutil.rmtree(full)    # as git's checkout_entry: the named path wins
    st = workfiles.write_file(ws.repo.odb, ws.root, p, e.mode, e.oid)
    if cur is None:
        index.drop_conflicts(p)
    index.put(Entry.from_stat(p, e.mode, e.oid, st))


def restore(ws, paths: list[str], *, source: bytes | None, staged: bool,
            worktree: bool) -> None:
    """git restore (no-overlay: paths absent from the source are removed)."""
    if not paths:
        raise BadInput("no paths given", hint="name the files to restore, or '.'")
    if not staged and not worktree:
        worktree = True
    with ws.repo.lock():
        index = load_index(ws.repo)
        if source is None and staged:
            source = ws.head_commit()
        tree_files = ws.files_of(ws.tree_of(source))
        wsrc = tree_files if (source is not None) else dict(index.entries)
        todo = set()
        for user_path in paths:
            spec = ws.normalize(user_path)
            found = _match(spec, set(wsrc) | set(index.entries), user_path)
            if not found:
                raise BadInput(f"pathspec {user_path!r} did not match any file(s) known "
                               "to ldv", hint="check the path with `ldv ls-files`")
            todo.update(found)
        for p in sorted(todo):
            if staged:
                _stage_from(index, p, tree_files.get(p))
            if worktree:
                e = wsrc.get(p)
                if e is None:
                    workfiles.remove_file(ws.root, p)
                    if not staged:
                        continue
                elif staged or source is None:
                    _restore_file(ws, index, p, e)
                else:
                    _write_only(ws, index, p, e)
        save_index(ws.repo, index)


def _stage_from(index: Index, p: str, e) -> None:
    if e is None:
        index.remove(p)
        return
    cur = index.get(p)
    new = Entry(p, e.mode, e.oid, e.size)
    if cur is None:
        index.drop_conflicts(p)
    if cur is None or not cur.same_content(new):
        index.put(new)


def _write_only(ws, index: Index, p: str, e) -> None:
    """restore --source X (work tree only): the index keeps its entry."""
    st = workfiles.write_file(ws.repo.odb, ws.root, p, e.mode, e.oid)
    cur = index.get(p)
    if cur is not None and (cur.mode, cur.oid) == (e.mode, e.oid):
        index.put(Entry.from_stat(p, e.mode, e.oid, st))
