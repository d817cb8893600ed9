"""What ``ldv diff`` shows of a stopped merge's record conflicts (docs/MERGE.md).

While a merge, cherry-pick or revert waits for resolution, each unmerged path that
the record engine merged (JSONL, CSV, Parquet) has records changed differently on
both sides.  The merge state keeps the first of them with their three versions
(mergestate.conflict_records); this module lists them as a *combined record diff*:

    diff --records data/rows.jsonl
    1 conflicting record; - base (merge base), < ours (HEAD), > theirs (side)
    @@@ id=2 @@@ modify/modify
    - {"id": 2, "v": 0}
    < {"id": 2, "v": 1}
    > {"id": 2, "v": 2}

A side without the record shows ``(deleted)`` (or ``(absent)`` when base had none
either).  Nothing here reads blobs: it is the sealed state, rendered.
"""
from __future__ import annotations

from dataclasses import dataclass

from ldv.plumbing.index import UNMERGED, load_index

from . import workfiles
from .mergestate import MergeState, read_state

_MARKS = ("-", "<", ">")


@dataclass
class RecordConflicts:
    """One unmerged path's conflicting records: ``count`` is exact, ``records``
    ([key, kind, base, ours, theirs]) the first ones the state kept."""

    path: str
    count: int
    records: list[list]
    labels: tuple[str, str, str]          # base, ours, theirs

    @property
    def truncated(self) -> bool:
        return self.count > len(self.records)

    def to_json(self) -> dict:
        return {"path": self.path, "driver": "records", "conflicts": self.count,
                "truncated": self.truncated,
                "labels": dict(zip(("base", "ours", "theirs"), self.labels)),
                "records": [{"key": k, "kind": kind, "base": b, "ours": o, "theirs": t}
                            for k, kind, b, o, t in self.records]}

    def render(self) -> str:
        n = self.count
        legend = ", ".join(f"{m} {side} ({label})" for m, side, label in
                           zip(_MARKS, ("base", "ours", "theirs"), self.labels))
        lines = [f"diff --records {self.path}",
                 f"{n} conflicting record{'s' if n != 1 else ''}; {legend}"]
        for key, kind, *sides in self.records:
            lines.append(f"@@@ {key} @@@ {kind}")
            for mark, text in zip(_MARKS, sides):
                lines += _side_lines(mark, text, sides[0] is not None)
        if self.truncated:
            lines.append(f"... {n - len(self.records)} more conflicting record(s) not "
                         "kept in the merge state (`ldv diff --rows` compares all)")
        return "\n".join(lines) + "\n"


def _side_lines(mark: str, text: str | None, in_base: bool) -> list[str]:
    if text is None:
        return [f"{mark} ({'deleted' if in_base else 'absent'})"]
    body = text[:-1] if text.endswith("\n") else text
    return [f"{mark} {line.rstrip(chr(13))}" for line in body.split("\n")]


def labels_of(state: MergeState) -> tuple[str, str, str]:
    """Names of base, ours and theirs, as the conflict markers name them."""
    if state.kind == "cherry-pick":
        return f"parent of {state.label}", "HEAD", state.label
    if state.kind == "revert":
        return state.label, "HEAD", f"parent of {state.label}"
    return "merge base", "HEAD", state.label


def unmerged_records(ws, paths: list[str] | None = None) -> list[RecordConflicts]:
    """The record conflicts of the still-unmerged paths under ``paths`` (user
    paths, relative to the cwd; all when empty).  Empty when nothing is pending."""
    state = read_state(ws.repo)       # a missing file: one failed open, no index read
    if state is None:
        return []
    index = load_index(ws.repo)
    specs = [ws.normalize(p) for p in paths or []]
    found = []
    for p, c in sorted(state.conflicts.items()):
        e = index.get(p)
        if c.driver != "records" or e is None or not e.flags & UNMERGED:
            continue          # resolved (`ldv add`) paths diff as usual
        if specs and not any(workfiles.under(p, s) for s in specs):
            continue
        found.append(RecordConflicts(p, c.key_count, c.records, labels_of(state)))
    return found
