"""The state a conflicted merge leaves behind, and the checks other verbs make.

Kept apart from mergeops.py so that status, commit, reset and switch can ask "is a
merge in progress?" without importing the merge engines (DuckDB, pyarrow).

* In the index, every unmerged path's entry carries the UNMERGED flag
  (plumbing/index.py); ``ldv add``/``rm`` of the path writes a fresh entry and so
  resolves it.
* The sealed file ``MERGE_STATE`` (``Repo.write_secret``, encrypted like the index):
  Git's MERGE_HEAD, ORIG_HEAD and MERGE_MSG, the paths the merge touched (so
  ``--abort`` restores exactly those) and each unmerged path's stages.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field

from ldv.plumbing.blobs import read_blob
from ldv.plumbing.errors import Conflict, RepositoryError
from ldv.plumbing.index import UNMERGED, load_index, save_index
from ldv.plumbing.objects import Commit

STATE = "MERGE_STATE"
_SHOW = 10
MAX_RECORDS = 1000            # conflicting records kept per path for `ldv diff`
MAX_RECORD_BYTES = 4 << 20    # and their total size (the state is read by status)

Stage = tuple  # (mode, oid, size)


@dataclass
class PathConflict:
    """One unmerged path: Git's status code, what kind, the three stages."""

    path: str
    code: str                  # UU, AA, DU, UD
    kind: str                  # content, add/add, modify/delete, mode, symlink, binary, records
    base: Stage | None
    ours: Stage | None
    theirs: Stage | None
    driver: str = "text"
    keys: list[str] = field(default_factory=list)   # record conflicts, printable
    key_count: int = 0
    # the first conflicting records, for `ldv diff`: [key, kind, base, ours, theirs]
    # (text, None when absent), bounded by MAX_RECORDS and MAX_RECORD_BYTES
    records: list[list] = field(default_factory=list)

    def to_json(self) -> dict:
        st = [None if s is None else [s[0], s[1].hex(), s[2]]
              for s in (self.base, self.ours, self.theirs)]
        return {"path": self.path, "code": self.code, "kind": self.kind, "stages": st,
                "driver": self.driver, "keys": self.keys, "key_count": self.key_count,
                "records": self.records}

    @classmethod
    def from_json(cls, d: dict) -> "PathConflict":
        st = [None if s is None else (s[0], bytes.fromhex(s[1]), s[2]) for s in d["stages"]]
        return cls(d["path"], d["code"], d["kind"], *st, driver=d["driver"],
                   keys=list(d["keys"]), key_count=d["key_count"],
                   records=list(d.get("records", [])))


@dataclass
class MergeState:
    kind: str                   # merge | cherry-pick | revert
    head: bytes                 # ORIG_HEAD
    theirs: bytes               # MERGE_HEAD (the picked commit for cherry-pick/revert)
    label: str
    message: str
    touched: list[str]
    conflicts: dict[str, PathConflict]
    author: str | None = None   # cherry-pick keeps the original author
    author_time: int | None = None
    author_tz: int | None = None
    lineage: list[dict] = field(default_factory=list)   # cherry-pick carries C's records

    def dumps(self) -> bytes:
        d = dict(self.__dict__, head=self.head.hex(), theirs=self.theirs.hex(),
                 conflicts=[c.to_json() for c in self.conflicts.values()])
        return json.dumps(d, sort_keys=True).encode()

    @classmethod
    def loads(cls, data: bytes) -> "MergeState":
        d = json.loads(data)
        d["head"], d["theirs"] = bytes.fromhex(d["head"]), bytes.fromhex(d["theirs"])
        d["conflicts"] = {c["path"]: PathConflict.from_json(c) for c in d["conflicts"]}
        d.setdefault("lineage", [])
        return cls(**d)


def read_state(repo) -> MergeState | None:
    data = repo.read_secret(STATE)
    return None if data is None else MergeState.loads(data)


def clear_state(repo) -> None:
    repo.delete_secret(STATE)


def _clear_flags(index) -> None:
    for e in index.entries.values():
        if e.flags & UNMERGED:
            e.flags &= ~UNMERGED
            index._invalidate(e.path)


def unresolved(ws, index, state: MergeState | None) -> list[str]:
    """Paths still unmerged, or resolved with conflict markers left in them."""
    left = sorted(p for p, e in index.entries.items() if e.flags & UNMERGED)
    if state is None or left:
        return left
    for p, c in state.conflicts.items():
        e = index.get(p)
        if c.driver == "text" and e is not None and e.size < (64 << 20) \
                and _has_markers(read_blob(ws.repo.odb, e.oid)):
            left.append(p)
    return left


def _check_resolved(ws, index, state: MergeState) -> None:
    left = unresolved(ws, index, state)
    if not left:
        return
    shown = ", ".join(left[:_SHOW]) + (" ..." if len(left) > _SHOW else "")
    if not any((e := index.get(p)) is not None and e.flags & UNMERGED for p in left):
        # all added (`ldv add`), but with the markers still in: say that, not "unmerged"
        raise Conflict(f"committing is not possible: {shown} still hold(s) conflict "
                       "markers", hint="remove the <<<<<<< / ======= / >>>>>>> lines, "
                       "`ldv add` the file(s) again, then continue")
    raise Conflict(f"committing is not possible because you have unmerged files: "
                   f"{shown}", hint="fix them (remove every conflict marker), "
                   "`ldv add` each file, then continue")


def parents_of(state: MergeState) -> list[bytes]:
    return [state.head, state.theirs] if state.kind == "merge" else [state.head]


def _original(state: MergeState) -> Commit | None:
    if state.author is None:
        return None
    return Commit(b"", [], state.author, state.author_time, state.author_tz, "", 0, 0, "",
                  lineage=list(state.lineage))


def original_commit(repo) -> Commit | None:
    """The picked commit's author and lineage while a cherry-pick is stopped."""
    state = read_state(repo)
    return _original(state) if state is not None else None


def conflict_records(conflicts, limit: int = MAX_RECORDS,
                     budget: int = MAX_RECORD_BYTES) -> list[list]:
    """The engine's RecordConflicts as the state keeps them: text sides, at most
    ``limit`` records and ``budget`` bytes (the count says how many there were)."""
    kept = []
    for c in conflicts[:limit]:
        sides = [None if b is None else b.decode("utf-8", "replace")
                 for b in (c.base, c.ours, c.theirs)]
        budget -= sum(len(x) for x in sides if x) + len(c.key)
        if budget < 0:
            break
        kept.append([c.key, c.kind, *sides])
    return kept


def commit_parents(ws, index) -> list[bytes] | None:
    """For ``ldv commit`` during a merge: refuse unresolved paths; the extra
    parents (MERGE_HEAD) the commit takes; None when no merge is in progress."""
    state = read_state(ws.repo)
    if state is None:
        if any(e.flags & UNMERGED for e in index.entries.values()):
            _clear_flags(index)   # left by an interrupted command: nothing to resolve
        return None
    _check_resolved(ws, index, state)
    return parents_of(state)[1:]


def unmerged_codes(ws, index, state: MergeState | None = None) -> dict[str, str]:
    """{path: UU|AA|DU|UD} for the index's unmerged entries."""
    flagged = [p for p, e in index.entries.items() if e.flags & UNMERGED]
    if not flagged:
        return {}
    state = state or read_state(ws.repo)
    codes = state.conflicts if state else {}
    return {p: codes[p].code if p in codes else "UU" for p in flagged}


def forget_merge(ws) -> None:
    """``reset`` (mixed/hard): drop the merge state and the unmerged flags
    (the caller holds the repository lock)."""
    clear_state(ws.repo)
    index = load_index(ws.repo)
    if any(e.flags & UNMERGED for e in index.entries.values()):
        _clear_flags(index)
        save_index(ws.repo, index)


def refuse_unmerged(ws, force: bool) -> None:
    """switch/checkout: refuse while a merge is unresolved; ``force`` (discarding
    local changes) also forgets the merge, as Git's checkout -f does."""
    state = read_state(ws.repo)
    if state is None:
        return
    if not force:
        verb = state.kind if state.kind in ("cherry-pick", "revert") else "merge"
        raise RepositoryError("you need to resolve your current index first "
                              f"(a {verb} is in progress)",
                              hint=f"finish it with `ldv {verb} --continue` or give it "
                              f"up with `ldv {verb} --abort`")
    forget_merge(ws)


def _has_markers(content: bytes) -> bool:
    from .merge import conflict_markers      # the engines load only when needed
    return bool(conflict_markers(content))
