"""merge, merge --abort, merge --continue, checkout --ours/--theirs.

A merge that cannot finish leaves two things, as Git does:

* in the index, every unmerged path's entry flagged UNMERGED (plumbing/index.py);
  ``ldv add`` (or ``rm``) of the path writes a fresh entry and so resolves it;
* the sealed merge state (``Repo.write_secret("MERGE_STATE")``, encrypted like the
  index): Git's MERGE_HEAD, ORIG_HEAD and MERGE_MSG, the paths the merge touched
  (so ``--abort`` restores exactly those) and each unmerged path's stages.

The tree-level rules are in treemerge.py, merge bases in mergebase.py.  The same
machinery runs cherry-pick and revert (cherrypick.py).  Porcelain prints nothing:
``describe`` gives Git's lines for the CLI to show.
"""
from __future__ import annotations

import posixpath
import time
from dataclasses import dataclass, field

from ldv.plumbing.errors import (BadInput, Conflict, GateTripped, MergeConflict,
                                 NonFastForward, RepositoryError, WouldClobber)
from ldv.plumbing.index import UNMERGED, UNVERIFIED, Entry, load_index, save_index
from ldv.plumbing.objects import Commit, TreeEntry, read_commit, write_commit

from . import workfiles
from .checkout import apply, move_to, plan_two_way, refuse, uptodate
from .commit import clean_message, local_tz_minutes
from .merge import Labels
from .mergebase import base_tree, merge_bases, scratch_odb
from .mergestate import (STATE, MergeState, PathConflict, _check_resolved, _clear_flags,
                         clear_state, commit_parents, forget_merge, parents_of,
                         _original, read_state, refuse_unmerged, unmerged_codes,
                         unresolved)
from .treemerge import TreeMerge, TreeMerger, attributes_of, check_directory_file

_SHOW = 10
__all__ = ["merge", "abort", "continue_", "checkout_side", "describe", "default_message",
           "MergeOutcome", "EmptyPick", "MergeState", "PathConflict", "STATE", "read_state",
           "clear_state", "commit_parents", "forget_merge", "parents_of", "refuse_unmerged",
           "unmerged_codes", "unresolved"]


class EmptyPick(Conflict):
    """A cherry-pick or revert that would change nothing (exit 1, as Git)."""


@dataclass
class MergeOutcome:
    """What a merge did: ``kind`` is up-to-date, fast-forward, merge or conflict."""

    kind: str
    old: bytes | None
    new: bytes | None = None
    label: str = ""
    conflicts: list[PathConflict] = field(default_factory=list)
    auto_merged: list[str] = field(default_factory=list)
    bases: int = 1
    op: str = "merge"           # merge | cherry-pick | revert


# -- merge -----------------------------------------------------------------------

def merge(ws, theirs: bytes, label: str, *, message: str | None = None,
          ff: str = "auto", author, now: int | None = None) -> MergeOutcome:
    """Merge commit ``theirs`` (named ``label``) into HEAD.  ``ff``: auto, no, only.

    Raises MergeConflict (exit 1) with ``.outcome`` when paths stay unmerged."""
    if ff not in ("auto", "no", "only"):
        raise BadInput(f"unknown fast-forward mode {ff!r}")
    with ws.repo.lock():
        _refuse_pending(ws.repo)
        head = ws.head_commit()
        bases = merge_bases(ws.repo.odb, head, theirs) if head is not None else []
        if theirs in bases:
            return MergeOutcome("up-to-date", head, head, label)
        if head is None or (ff != "no" and head in bases):
            move_to(ws, head, theirs, force=False, verb="merge")
            ws.repo.refs.set("HEAD", theirs, old=head, message=f"merge {label}: Fast-forward")
            return MergeOutcome("fast-forward", head, theirs, label)
        if ff == "only":
            raise NonFastForward("Not possible to fast-forward, aborting.",
                                 hint=f"merge without --ff-only, or reset onto {label}")
        scratch = scratch_odb(ws.repo.odb)
        base, nbases = base_tree(scratch, ws.chunker, head, theirs, bases=bases)
        if nbases == 0:
            raise BadInput(f"refusing to merge unrelated histories ({label})",
                           hint="the two commits have no common ancestor")
        msg = message or default_message(ws, label)
        labels = Labels("HEAD", "merged common ancestors", label)
        return _three_way(ws, "merge", head, theirs, label, base,
                          read_commit(ws.repo.odb, theirs).tree, labels, msg,
                          [head, theirs], author=author, now=now, odb=scratch,
                          nbases=nbases)


def default_message(ws, label: str) -> str:
    """Git's fmt-merge-msg: "Merge branch 'x'" (+ " into y" off main/master)."""
    refs = ws.repo.refs
    if _has_ref(refs, f"refs/heads/{label}"):
        what = f"branch '{label}'"
    elif _has_ref(refs, f"refs/remotes/{label}"):
        what = f"remote-tracking branch '{label}'"
    else:
        what = f"commit '{label}'"
    cur = ws.head_branch() or "HEAD"           # detached: "into HEAD", as Git says
    into = f" into {cur}" if cur not in ("main", "master") else ""
    return f"Merge {what}{into}\n"


def _has_ref(refs, name: str) -> bool:
    try:
        return refs.read(name) is not None
    except BadInput:
        return False


def _refuse_pending(repo) -> None:
    state = read_state(repo)
    if state is not None:
        raise RepositoryError(f"you have not concluded your {state.kind} "
                              f"({state.label} is still being merged)",
                              hint=f"resolve and run `ldv {state.kind} --continue`, or "
                              f"`ldv {state.kind} --abort`")


def _three_way(ws, kind: str, head: bytes, theirs: bytes, label: str, base: bytes | None,
               theirs_tree: bytes | None, labels: Labels, message: str,
               parents: list[bytes], *, author, now, odb=None, nbases: int = 1,
               original: Commit | None = None) -> MergeOutcome:
    """Merge ``theirs_tree`` into HEAD against ``base``; commit, or leave the state."""
    index = load_index(ws.repo)
    _refuse_staged(ws, index)
    tm = _merge_into_worktree(ws, index, base, theirs_tree, labels, odb)
    out = MergeOutcome("merge", head, None, label, list(tm.conflicts.values()),
                       tm.auto_merged, nbases, kind)
    if tm.clean and not tm.changed and kind != "merge":
        raise EmptyPick(f"the {kind} of {label} is empty: HEAD already has that change",
                        hint="nothing was changed")
    if tm.clean:
        try:
            out.new = _commit(ws, index, parents, message, author=author, now=now,
                              original=original, reflog=f"{kind} {label}")
        except GateTripped as e:
            # pii.on_commit = block refused the commit: stop as on a conflict, so
            # the result can be fixed and continued, or aborted.
            _stop(ws, index, kind, head, theirs, label, message, tm, original)
            raise GateTripped(f"{kind} stopped: {e.message}",
                              hint=f"fix the files, `ldv add` them, then `ldv {kind} "
                              f"--continue`, or `ldv {kind} --abort`") from None
        return out
    out.kind = "conflict"
    _stop(ws, index, kind, head, theirs, label, message, tm, original)
    err = MergeConflict("Automatic merge failed; fix conflicts and then commit the result.",
                        hint=f"resolve, `ldv add` the files, then `ldv {kind} --continue` "
                        f"(or `ldv {kind} --abort`)")
    err.outcome = out
    raise err


def _stop(ws, index, kind, head, theirs, label, message, tm, original) -> None:
    """Leave the merge state for `--continue` / `--abort`."""
    state = MergeState(kind, head, theirs, label, message,
                       sorted(set(tm.changed) | set(tm.conflicts)), tm.conflicts)
    if original is not None:
        state.author, state.author_time = original.author, original.author_time
        state.author_tz = original.author_tz
        state.lineage = list(original.lineage)
    # the state first: a crash before the index is saved still leaves `--abort`
    # the list of paths to put back
    ws.repo.write_secret(STATE, state.dumps())
    save_index(ws.repo, index)


def _refuse_staged(ws, index) -> None:
    from .status import staged_changes
    staged = staged_changes(ws, index)
    if staged:
        paths = ", ".join(c.path for c in staged[:_SHOW])
        raise WouldClobber(f"your index has staged changes: {paths}",
                           hint="commit them, or unstage with `ldv restore --staged`; "
                           "nothing was changed")


def _merge_into_worktree(ws, index, base, theirs_tree, labels: Labels, odb) -> TreeMerge:
    """Run the tree merge and write its result to the index and the work tree."""
    odb = odb or ws.repo.odb
    attrs = attributes_of(ws.repo.odb, index.entries)
    merger = TreeMerger(odb, ws.chunker, attrs, labels, out_odb=ws.repo.odb)
    tm = merger.merge(base, ws.head_tree(), theirs_tree)
    ws.repo.odb.flush()
    check_directory_file(index.entries, tm)
    old = {p: index.entries[p] for p in tm.changed if p in index.entries}
    new = {p: TreeEntry(posixpath.basename(p), *s) for p, s in tm.changed.items() if s}
    plan = plan_two_way(ws, index, old, new, force=False)
    for p in tm.conflicts:   # unmerged paths left as ours must be clean too
        e = index.get(p)
        if p not in tm.changed and e is not None and not uptodate(ws, e):
            plan.dirty.append(p)
    refuse(plan, "merge")
    apply(ws, index, plan, new, "merge")
    for p in tm.conflicts:
        e = index.get(p)
        e.flags |= UNMERGED | UNVERIFIED
        index._invalidate(p)       # the tree cache must not hold an unmerged tree
    return tm


def _commit(ws, index, parents: list[bytes], message: str, *, author, now,
            original: Commit | None = None, reflog: str) -> bytes:
    """Write the index as a commit on HEAD (``original``: keep its author)."""
    when = int(time.time()) if now is None else int(now)
    tz = local_tz_minutes(when)
    text = clean_message(message)
    tree = index.write_tree(ws.repo.odb)
    from .pii.gate import check_commit
    pii = check_commit(ws, index, ws.tree_of(parents[0]))   # pii.on_commit, as commit runs it
    a, at, atz, lineage = str(author), when, tz, []
    if original is not None:   # cherry-pick: C's author and lineage records
        a, at, atz = original.author, original.author_time, original.author_tz
        lineage = list(original.lineage)
    lineage = lineage + pii
    c = Commit(tree, parents, a, at, atz, str(author), when, tz, text, lineage=lineage)
    oid = write_commit(ws.repo.odb, c)
    ws.repo.odb.flush()
    ws.repo.refs.set("HEAD", oid, old=parents[0],
                     message=f"{reflog}: {text.splitlines()[0] if text else ''}")
    index.set_tree(tree, oid)
    save_index(ws.repo, index)
    return oid


# -- abort, continue, commit ------------------------------------------------------

def _require_state(repo, verb: str) -> MergeState:
    state = read_state(repo)
    if state is None:
        raise RepositoryError("there is no merge in progress",
                              hint=f"nothing to {verb}")
    return state


def abort(ws) -> MergeState:
    """Put back HEAD's version of every path the merge touched (other local changes
    stay), forget the merge state."""
    with ws.repo.lock():
        state = _require_state(ws.repo, "abort")
        index = load_index(ws.repo)
        head_files = ws.files_of(ws.head_tree())
        for p in state.touched:
            e = head_files.get(p)
            if e is None:
                workfiles.remove_file(ws.root, p)
                index.remove(p)
                continue
            st = workfiles.write_file(ws.repo.odb, ws.root, p, e.mode, e.oid)
            if p not in index.entries:
                index.drop_conflicts(p)
            index.put(Entry.from_stat(p, e.mode, e.oid, st))
        _clear_flags(index)
        save_index(ws.repo, index)
        clear_state(ws.repo)
    return state


def continue_(ws, *, author, now: int | None = None) -> bytes:
    """Commit the resolved merge (refuses while paths are unresolved)."""
    with ws.repo.lock():
        state = _require_state(ws.repo, "continue")
        index = load_index(ws.repo)
        _check_resolved(ws, index, state)
        head = ws.head_commit()
        if head != state.head:
            raise RepositoryError("HEAD moved since the merge started",
                                  hint=f"run `ldv {state.kind} --abort`")
        oid = _commit(ws, index, parents_of(state), state.message, author=author, now=now,
                      original=_original(state), reflog=f"{state.kind} {state.label}")
        clear_state(ws.repo)
    return oid


# -- status and checkout --ours/--theirs -------------------------------------------

def checkout_side(ws, paths: list[str], side: str) -> list[str]:
    """``checkout --ours|--theirs PATHS``: write that side's version of unmerged
    paths to the work tree (they stay unmerged until ``ldv add``)."""
    if side not in ("ours", "theirs"):
        raise BadInput(f"unknown side {side!r}")
    with ws.repo.lock():
        state = _require_state(ws.repo, f"check out --{side}")
        done = []
        for user_path in paths:
            spec = ws.normalize(user_path)
            found = [p for p in state.conflicts if workfiles.under(p, spec)]
            if not found:
                raise BadInput(f"path {user_path!r} is not unmerged",
                               hint="--ours/--theirs apply to the paths `ldv status` "
                               "lists as unmerged")
            for p in sorted(found):
                stage = getattr(state.conflicts[p], side)
                if stage is None:
                    raise BadInput(f"path {p!r} does not have {'our' if side == 'ours' else 'their'} version",
                                   hint=f"`ldv rm {p}` to accept the deletion")
                workfiles.write_file(ws.repo.odb, ws.root, p, stage[0], stage[1])
                done.append(p)
    return done


# -- messages ---------------------------------------------------------------------

def describe(out: MergeOutcome, theirs_label: str | None = None) -> list[str]:
    """Git's per-path lines for a merge: Auto-merging, CONFLICT (...)."""
    label = theirs_label or out.label
    conflicts = {c.path: c for c in out.conflicts}
    lines = []
    for p in sorted(set(out.auto_merged) | set(conflicts)):
        c = conflicts.get(p)
        if c is None or c.kind in ("content", "add/add", "mode"):
            lines.append(f"Auto-merging {p}")
        if c is None:
            continue
        if c.kind == "modify/delete":
            gone, kept = (("HEAD", label) if c.code == "DU" else (label, "HEAD"))
            lines.append(f"CONFLICT (modify/delete): {p} deleted in {gone} and modified "
                         f"in {kept}.  Version {kept} of {p} left in tree.")
        elif c.driver == "records":
            keys = ", ".join(c.keys) + (" ..." if c.key_count > len(c.keys) else "")
            lines.append(f"CONFLICT (records): {c.key_count} record(s) conflict in {p}: {keys}")
            lines.append(f"hint: base, ours and theirs of each: ldv diff -- {p}")
        elif c.driver == "binary":
            lines.append(f"warning: Cannot merge binary files: {p} (HEAD vs. {label})")
            lines.append(f"CONFLICT ({c.kind}): Merge conflict in {p}")
        elif c.kind == "symlink":
            lines.append(f"CONFLICT (content): symlink {p} changed on both sides; ours kept")
        elif c.kind == "mode":
            lines.append(f"CONFLICT (mode): {p} changed mode differently on both sides")
        else:
            lines.append(f"CONFLICT ({c.kind}): Merge conflict in {p}")
    return lines
