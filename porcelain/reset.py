"""reset: move the current branch (or a detached HEAD) to a commit.

--soft moves only the ref; --mixed also makes the index equal the commit's tree
(keeping the stat data of entries whose content is unchanged, so the next status
stays cheap); --hard also rewrites the tracked files that differ and deletes
tracked files absent from the commit.  Untracked files are never touched.
"""
from __future__ import annotations

from ldv.plumbing.errors import BadInput, CorruptIndex
from ldv.plumbing.index import Entry, Index, load_index, save_index

from . import checkout


def reset(ws, commit_oid: bytes, *, mode: str) -> None:
    if mode not in ("soft", "mixed", "hard"):
        raise BadInput(f"unknown reset mode {mode!r}", hint="use soft, mixed or hard")
    with ws.repo.lock():
        old = ws.head_commit()
        new_tree = ws.tree_of(commit_oid)     # also checks that it is a commit
        if mode == "hard":
            checkout.move_to(ws, old, commit_oid, force=True, verb="reset")
        elif mode == "mixed":
            try:
                index = load_index(ws.repo)
            except CorruptIndex:
                index = Index()     # damaged: rebuilt from the tree (stat data is a cache)
            save_index(ws.repo, index_from_tree(ws, index, new_tree, commit_oid))
        if mode != "soft" and ws.merging(load_index(ws.repo)):
            from .mergestate import forget_merge
            forget_merge(ws)                    # as git reset drops MERGE_HEAD
        msg = f"reset: moving to {commit_oid.hex()}"
        if ws.repo.refs.read_symbolic("HEAD") is None and old is not None:
            ws.repo.refs.set_detached("HEAD", commit_oid, message=msg)
        else:
            ws.repo.refs.set("HEAD", commit_oid, message=msg)


def index_from_tree(ws, index: Index, tree: bytes | None,
                    commit: bytes | None = None) -> Index:
    """An index equal to ``tree``, reusing the entries of ``index`` that match it."""
    out = Index()
    for p, e in ws.files_of(tree).items():
        cur = index.get(p)
        if cur is not None and (cur.mode, cur.oid) == (e.mode, e.oid):
            out.entries[p] = cur
        else:
            out.entries[p] = Entry(p, e.mode, e.oid, e.size)   # unverified: hash on look
    out.set_tree(tree, commit)
    return out
