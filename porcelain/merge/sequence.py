"""Positional three-way merge of record sequences (records without a key).

Both sides are diffed against base with linediff (records compared by digest).
An *edit* replaces base records ``[i, i+n)`` with side records ``[j, j+m)``; an
edit with ``n == 0`` is an insertion at point ``i``.  Two edits of different sides
*overlap* when they share a base record, or when an insertion point lies strictly
inside the other's replaced range.  Edits that overlap, directly or through a
chain, form one group:

* a group of one edit takes it;
* a group of one ours and one theirs edit that are identical takes it once;
* any other group is a conflict over its base range; ours' records for that range
  are written.

A replacement of n records by m is read as min(n, m) modified records (one edit
each) followed by the m - n inserted (or n - m deleted) ones.  Insertions at the same point from
both sides do not overlap: ours' come first,
then theirs' (once, if identical).  Unlike Git's line merge, edits that merely
touch (adjacent records) do not conflict: records are independent units.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from .linediff import diff

BASE, OURS, THEIRS = 0, 1, 2


@dataclass(frozen=True)
class Edit:
    side: int
    i: int      # base start
    n: int      # base records replaced
    j: int      # side start
    m: int      # side records inserted


@dataclass(frozen=True)
class SeqConflict:
    base: tuple[int, int]       # [start, stop) in base
    ours: tuple[int, int]       # [start, stop) in ours
    theirs: tuple[int, int]


@dataclass
class SeqMerge:
    runs: list[tuple[int, int, int]] = field(default_factory=list)  # (side, start, stop)
    conflicts: list[SeqConflict] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)

    def emit(self, side: int, start: int, stop: int) -> None:
        if stop <= start:
            return
        last = self.runs[-1] if self.runs else None
        if last and last[0] == side and last[2] == start:
            self.runs[-1] = (side, last[1], stop)
        else:
            self.runs.append((side, start, stop))

    def count(self, name: str, n: int) -> None:
        self.counts[name] = self.counts.get(name, 0) + n


def _edits(base: list, side: list, who: int) -> list[Edit]:
    """The side's edits; a replacement of n records by m is read as min(n, m)
    modified records (one edit each), then m - n inserted (or n - m deleted) ones,
    so that an append next to a modified last record is an insertion like any other."""
    out = []
    for c in diff(base, side):
        k = min(c.chg1, c.chg2)
        # One edit per modified record: records are the unit of conflict.
        out.extend(Edit(who, c.i1 + q, 1, c.i2 + q, 1) for q in range(k))
        if c.chg1 != c.chg2:
            out.append(Edit(who, c.i1 + k, c.chg1 - k, c.i2 + k, c.chg2 - k))
    return out


def _groups(edits: list[Edit]) -> list[list[Edit]]:
    # Insertions sort before a range starting at the same point, ours before theirs.
    edits = sorted(edits, key=lambda e: (e.i, e.n > 0, e.side))
    groups: list[list[Edit]] = []
    hi = None   # end of the ranges (not points) in the current group
    for e in edits:
        if groups and hi is not None and e.i < hi:
            groups[-1].append(e)
        else:
            groups.append([e])
            hi = None
        if e.n > 0:
            hi = max(hi or 0, e.i + e.n)
    return groups


def sequence_merge(base: list, ours: list, theirs: list) -> SeqMerge:
    """Merge digest sequences; runs name records of ours (1) and theirs (2)."""
    res = SeqMerge()
    seqs = {OURS: ours, THEIRS: theirs}
    groups = _groups(_edits(base, ours, OURS) + _edits(base, theirs, THEIRS))
    cur = oc = tc = 0           # positions in base, ours, theirs
    prev_point = None           # (i, content) of the last lone insertion, to dedupe
    for g in groups:
        lo = min(e.i for e in g)
        hi = max(e.i + e.n for e in g)
        res.emit(OURS, oc, oc + lo - cur)
        res.count("unchanged", lo - cur)
        oc, tc, cur = oc + lo - cur, tc + lo - cur, lo
        if len(g) == 1:
            e = g[0]
            content = seqs[e.side][e.j:e.j + e.m]
            if e.n == 0 and e.side == THEIRS and prev_point == (e.i, content):
                tc = e.j + e.m          # ours inserted the very same records here
                continue
            prev_point = (e.i, content) if e.n == 0 and e.side == OURS else None
            res.emit(e.side, e.j, e.j + e.m)
            _count_edit(res, e)
            if e.side == OURS:
                oc, tc = e.j + e.m, tc + e.n
            else:
                oc, tc = oc + e.n, e.j + e.m
            cur = e.i + e.n
            continue
        prev_point = None
        o_end = oc + (hi - lo) + sum(e.m - e.n for e in g if e.side == OURS)
        t_end = tc + (hi - lo) + sum(e.m - e.n for e in g if e.side == THEIRS)
        if _identical(g, seqs):
            _count_edit(res, g[0])
        else:
            res.conflicts.append(SeqConflict((lo, hi), (oc, o_end), (tc, t_end)))
        res.emit(OURS, oc, o_end)
        oc, tc, cur = o_end, t_end, hi
    res.emit(OURS, oc, len(ours))
    res.count("unchanged", len(base) - cur)
    return res


def _identical(g: list[Edit], seqs) -> bool:
    if len(g) != 2 or g[0].side == g[1].side:
        return False
    a, b = g
    return (a.i, a.n) == (b.i, b.n) and \
        seqs[a.side][a.j:a.j + a.m] == seqs[b.side][b.j:b.j + b.m]


def _count_edit(res: SeqMerge, e: Edit) -> None:
    who = "ours" if e.side == OURS else "theirs"
    if e.n == 0:
        res.count(f"added_{who}", e.m)
    elif e.m == 0:
        res.count(f"deleted_{who}", e.n)
    else:
        res.count(f"changed_{who}", e.m)
