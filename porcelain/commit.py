"""commit: record the index as a tree and a commit, then move HEAD's branch.

Order of writes, for crash safety: objects (trees, commit) are flushed to packs
first, then the branch moves by compare-and-swap, then the index records its tree
cache.  A crash before the ref update leaves unreferenced objects (gc drops them)
and the previous commit intact; a crash after it leaves an index whose entries
already equal the new commit.
"""
from __future__ import annotations

import time

from ldv.plumbing.errors import BadInput, Conflict
from ldv.plumbing.index import load_index, save_index
from ldv.plumbing.objects import Commit, write_commit


class NothingToCommit(Conflict):
    """Git's "nothing to commit, working tree clean": exit 1."""


def clean_message(message: str) -> str:
    """Git's whitespace cleanup: trailing spaces, edge and repeated blank lines."""
    lines = [line.rstrip() for line in message.replace("\r\n", "\n").split("\n")]
    out: list[str] = []
    for line in lines:
        if line or (out and out[-1]):
            out.append(line)
    while out and not out[-1]:
        out.pop()
    return "\n".join(out) + "\n" if out else ""


def local_tz_minutes(when: int) -> int:
    return time.localtime(when).tm_gmtoff // 60


def commit(ws, message: str, *, all: bool, allow_empty: bool, author, committer,
           now: int | None, lineage: list[dict]) -> bytes:
    text = clean_message(message)
    if not text:
        raise BadInput("aborting commit due to empty commit message",
                       hint="give a message with -m")
    when = int(time.time()) if now is None else int(now)
    tz = local_tz_minutes(when)
    with ws.repo.lock():
        index = load_index(ws.repo)
        if all:
            from .add import stage_tracked
            stage_tracked(ws, index)
        head = ws.head_commit()
        head_tree = ws.tree_of(head)
        merging = original = None
        if ws.merging(index):
            from .mergestate import clear_state, commit_parents, original_commit
            merging = commit_parents(ws, index)     # MERGE_HEAD; refuses unmerged paths
            original = original_commit(ws.repo)     # a stopped cherry-pick's C
        tree = index.write_tree(ws.repo.odb)    # rewrites only changed directories
        unchanged = tree == head_tree or (head is None and not index.entries)
        if unchanged and not allow_empty and not merging:
            raise NothingToCommit("nothing to commit: the index equals HEAD",
                                  hint="stage changes with `ldv add` (or commit -a), or "
                                  "pass --allow-empty")
        from .pii.gate import check_commit
        pii = check_commit(ws, index, head_tree)   # pii.on_commit: may refuse (GateTripped)
        a_name, a_time, a_tz = str(author), when, tz
        if original is not None:
            # As git: finishing a cherry-pick with a plain commit keeps C's author
            # and, with no records of its own, C's lineage records.
            a_name, a_time, a_tz = original.author, original.author_time, original.author_tz
            lineage = lineage or original.lineage
        lineage = list(lineage) + pii          # the gate's findings (pii/records.py)
        c = Commit(tree=tree, parents=([head] if head else []) + (merging or []), author=a_name,
                   author_time=a_time, author_tz=a_tz, committer=str(committer),
                   commit_time=when, commit_tz=tz, message=text, lineage=list(lineage))
        oid = write_commit(ws.repo.odb, c)
        ws.repo.odb.flush()
        subject = text.split("\n", 1)[0]
        kind = "commit" if head else "commit (initial)"
        ws.repo.refs.set("HEAD", oid, old=head, message=f"{kind}: {subject}")
        index.set_tree(tree, oid)
        save_index(ws.repo, index)
        if merging is not None:
            clear_state(ws.repo)
    from .maintenance import auto_gc
    auto_gc(ws.repo, head_tree, tree)     # gc.autoDepth: turn deep delta chains around
    return oid
