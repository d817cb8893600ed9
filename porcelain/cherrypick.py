"""cherry-pick and revert: a three-way merge of one commit's change into HEAD.

cherry-pick C merges C's tree into HEAD against C's parent (the change C made is
applied); revert C merges C's parent's tree against C (the change is undone).
Both run the merge machinery of mergeops.py, so conflicts, ``--continue`` and
``--abort`` work as for ``ldv merge``; the commit has HEAD as its only parent.
A cherry-pick keeps C's author and C's lineage records (the run that made C's
outputs is still what made them; a record whose output blob the pick did not
reproduce simply matches nothing, docs/LINEAGE.md); a revert carries none (it ran
nothing).  A merge commit (several parents) is refused.
"""
from __future__ import annotations

from ldv.plumbing.errors import BadInput, RepositoryError
from ldv.plumbing.objects import read_commit

from .merge import Labels
from .mergeops import EmptyPick, MergeOutcome, _refuse_pending, _three_way

__all__ = ["cherry_pick", "revert", "EmptyPick"]


def cherry_pick(ws, rev: bytes, *, author, now: int | None = None) -> MergeOutcome:
    """Apply commit ``rev``'s change on HEAD as a new commit."""
    c, short, subject = _describe(ws, rev)
    base = read_commit(ws.repo.odb, c.parents[0]).tree if c.parents else None
    labels = Labels("HEAD", f"parent of {short} ({subject})", f"{short} ({subject})")
    return _pick(ws, "cherry-pick", rev, base, c.tree, labels, c.message,
                 author=author, now=now, original=c)


def revert(ws, rev: bytes, *, author, now: int | None = None) -> MergeOutcome:
    """Undo commit ``rev``'s change on HEAD as a new commit."""
    c, short, subject = _describe(ws, rev)
    parent = read_commit(ws.repo.odb, c.parents[0]).tree if c.parents else None
    labels = Labels("HEAD", f"{short} ({subject})", f"parent of {short} ({subject})")
    message = f'Revert "{subject}"\n\nThis reverts commit {rev.hex()}.\n'
    return _pick(ws, "revert", rev, c.tree, parent, labels, message,
                 author=author, now=now, original=None)


def _describe(ws, rev: bytes):
    c = read_commit(ws.repo.odb, rev)
    if len(c.parents) > 1:
        raise BadInput(f"commit {rev.hex()[:12]} is a merge",
                       hint="ldv cherry-pick and revert take ordinary commits")
    subject = c.message.split("\n", 1)[0]
    return c, rev.hex()[:7], subject


def _pick(ws, kind, rev, base, theirs_tree, labels, message, *, author, now, original):
    with ws.repo.lock():
        _refuse_pending(ws.repo)
        head = ws.head_commit()
        if head is None:
            raise RepositoryError(f"cannot {kind} onto an empty branch",
                                  hint="make a first commit")
        return _three_way(ws, kind, head, rev, rev.hex()[:7], base, theirs_tree, labels,
                          message, [head], author=author, now=now, original=original)
