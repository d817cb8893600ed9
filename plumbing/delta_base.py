"""Delta base choice: which old chunk a new chunk of the same file resembles.

The store encodes a chunk as a zstd delta against the base it is offered
(plumbing/delta.py); this module picks that base.  The old file's chunk list and
the new file's chunks, in order, are aligned by offset around the chunks both
share, so an edited chunk is paired with the old bytes it replaced, even after
insertions and deletions.  See docs/FORMAT.md ("Delta base choice").
"""
from __future__ import annotations

import bisect
from typing import Iterable

from .odb import ObjectDatabase, ObjType


class DeltaBaseChooser:
    """Picks, for each new chunk, the old chunk that held the same region.

    Unchanged chunks are anchors that fix how new offsets map to old ones.  New
    chunks between two anchors wait (up to ``PENDING_BYTES``) until the next
    anchor is seen; each is then aligned from the nearer anchor, so chunks just
    before an insertion map forward and chunks just after it map backward.
    Within a run of edited chunks the mapping re-snaps to old chunk boundaries
    (content-defined cuts survive most edits), so many small length changes do
    not add up to a drift.
    """

    PENDING_BYTES = 16 << 20

    def __init__(self, odb: ObjectDatabase, old_chunks: Iterable[tuple[bytes, int]]):
        self.odb = odb
        self.starts: list[int] = []
        self.oids: list[bytes] = []
        self.where: dict[bytes, list[int]] = {}
        pos = 0
        for i, (oid, n) in enumerate(old_chunks):
            self.starts.append(pos)
            self.oids.append(oid)
            self.where.setdefault(oid, []).append(i)
            pos += n
        self.size = pos
        self.shift = 0          # old offset minus new offset, going forward
        self.anchor_end = 0     # new offset where the last anchor ended
        self.anchor_shift = 0   # and its shift
        self.pending: list[list] = []   # [data, new_start, forward candidates, id]
        self.pending_bytes = 0

    def add(self, oid: bytes, data, new_start: int) -> None:
        """Take the next chunk of the new file (``data`` valid only for this call)."""
        hits = self.where.get(oid)
        if hits is not None:
            self._anchor(hits, new_start, len(data))
        elif not self.odb.has(oid):
            fwd = self._forward(new_start, len(data))
            self.pending.append([bytes(data), new_start, fwd, oid])
            self.pending_bytes += len(data)
            while self.pending_bytes > self.PENDING_BYTES:
                data, _, fwd, oid = self.pending.pop(0)
                self._put(oid, data, self._pick(data, fwd, [], False, {}))

    def stored_until(self) -> int | None:
        """New-file offset before which every chunk is stored (None: all are)."""
        return self.pending[0][1] if self.pending else None

    def finish(self, new_size: int) -> None:
        """End of the new file: it ends where the old one ended."""
        self._resolve(new_size, self.size)

    def _put(self, oid: bytes, data: bytes, base: int | None) -> None:
        self.pending_bytes -= len(data)
        self.odb.put(ObjType.CHUNK, data, oid=oid,   # hashed once, in add()'s caller
                     delta_base=None if base is None else self.oids[base])

    def _anchor(self, hits: list[int], new_start: int, length: int) -> None:
        expect = new_start + self.shift
        i = min(hits[:64], key=lambda j: abs(self.starts[j] - expect))
        self._resolve(new_start, self.starts[i])
        self.shift = self.anchor_shift = self.starts[i] - new_start
        self.anchor_end = new_start + length

    def _end(self, i: int) -> int:
        return self.starts[i + 1] if i + 1 < len(self.starts) else self.size

    def _best(self, lo: int, length: int) -> list[int]:
        """Old chunks overlapping [lo, lo + length): the best, and the runner-up
        too when the overlap does not clearly favour one (then content decides)."""
        if not self.oids:
            return []
        lo = min(max(lo, 0), self.size - 1)
        hi = min(lo + length, self.size)
        first = bisect.bisect_right(self.starts, lo) - 1
        last = min(bisect.bisect_left(self.starts, hi), first + 8)
        ranked = sorted(range(first, max(last, first + 1)), key=lambda i: (
            -(min(self._end(i), hi) - max(self.starts[i], lo)), i))
        if len(ranked) > 1:
            top, second = (min(self._end(i), hi) - max(self.starts[i], lo) for i in ranked[:2])
            if top >= 2 * second and 2 * top >= hi - lo:
                return ranked[:1]
        return ranked[:2]

    def _snap(self, mapped: int, length: int) -> int:
        """The old chunk boundary nearest ``mapped``, if within 1/16 of a chunk.

        Edits change lengths by a few bytes, which this absorbs; a cut that moved
        (two old chunks merged, one split) lands farther away and is left alone."""
        j = bisect.bisect_left(self.starts, mapped)
        near = [self.starts[k] for k in (j - 1, j) if 0 <= k < len(self.starts)]
        near.append(self.size)
        b = min(near, key=lambda b: abs(b - mapped))
        return b if abs(b - mapped) <= length // 16 else mapped

    def _forward(self, new_start: int, length: int) -> list[int]:
        best = self._best(new_start + self.shift, length)
        end = new_start + length
        self.shift = self._snap(end + self.shift, length) - end
        return best

    def _pick(self, data: bytes, fwd: list[int], back: list[int], near_back: bool,
              cache: dict, extra: list[int] = ()) -> int | None:
        """Of the candidate old chunks, the one sharing most sampled 32-byte runs.

        Candidates differ only near an insertion, a deletion or a moved cut, so
        old chunks are rarely read; ties go to the alignment from the nearer
        anchor."""
        order = [*back, *fwd] if near_back else [*fwd, *back]
        uniq = list(dict.fromkeys([*order, *extra]))
        if len(uniq) <= 1:
            return uniq[0] if uniq else None
        step = max(len(data) // 16, 1)
        samples = [data[k:k + 32] for k in range(0, len(data) - 31, step)]

        def score(i: int) -> int:
            old = cache.get(i)
            if old is None:
                old = cache[i] = self.odb.get(self.oids[i])[1]
            return sum(x in old for x in samples)
        return max(uniq, key=score)    # max keeps the first of equals

    def _resolve(self, new_b: int, old_b: int) -> None:
        """Align the waiting chunks backward from an anchor at new_b -> old_b."""
        if not self.pending:
            return
        shift = old_b - new_b
        # the two anchors disagree by more than a fraction of a chunk: an
        # insertion or deletion lies in between, so also try the neighbours
        mean = (new_b - self.pending[0][1]) // len(self.pending)
        unsure = abs(shift - self.anchor_shift) > max(64, mean // 8)
        choices, cache = [], {}
        for data, start, fwd, _oid in reversed(self.pending):
            n = len(data)
            back = self._best(start + shift, n)
            shift = self._snap(start + shift, n) - start
            extra = []
            if unsure:
                extra = [j for i in (*fwd, *back) for j in (i - 1, i + 1)
                         if 0 <= j < len(self.oids)]
            near_back = new_b - (start + n) < start - self.anchor_end
            choices.append(self._pick(data, fwd, back, near_back, cache, extra))
            if len(cache) > 16:
                cache.clear()
        for (data, _, _, oid), base in zip(self.pending, reversed(choices)):
            self._put(oid, data, base)
        self.pending = []


def newer_counterparts(old: list[tuple[bytes, int]], new: list[tuple[bytes, int]],
                       links: dict[bytes, bytes], wanted: Iterable[int]) -> dict[int, list[int]]:
    """For old chunks ``wanted`` (indexes into ``old``), the index of the chunk
    of ``new`` (a later version of the same file) that overlaps its region
    most, and of the runner-up (below).

    gc's base choice for an old chunk whose cut moved: nothing newer was stored
    as a delta against it (two old chunks merged into one new one), or the newer
    chunk it is linked to covers only part of it.  Regions are aligned by
    anchors: chunks both versions share, and ``links`` (old id -> new id, delta
    links of chunks whose lengths differ by what a few edits add or remove, i.e.
    edited in place; a cut that moved changes a length by kilobytes).  Each end
    of a wanted chunk maps through the nearer of the anchors around it, so the
    lengths edits add or remove between anchors do not add up.  Two candidates,
    because where several cuts moved the mapping can be a chunk off."""
    new_starts, pos, new_at = [], 0, {}
    for i, (oid, n) in enumerate(new):
        new_starts.append(pos)
        new_at.setdefault(oid, i)
        pos += n
    new_size = pos
    # anchors: (old start, old end, new start, new end), in old order
    anchors, old_starts, pos = [], [], 0
    for oid, n in old:
        old_starts.append(pos)
        j = new_at.get(oid)
        if j is None and oid in links:
            j = new_at.get(links[oid])
            if j is not None and abs(new[j][1] - n) > max(64, n // 512):
                j = None    # linked but not edited in place: not an anchor
        if j is not None:
            anchors.append((pos, pos + n, new_starts[j], new_starts[j] + new[j][1]))
        pos += n
    if not new:
        return {}
    keys = [a[0] for a in anchors]
    out = {}
    for i in wanted:
        lo, hi = old_starts[i], old_starts[i] + old[i][1]
        k = bisect.bisect_right(keys, lo) - 1       # last anchor starting at or before lo
        before = anchors[k] if k >= 0 else None
        after = anchors[k + 1] if k + 1 < len(anchors) else None
        if before is not None and before[0] == lo:   # the chunk is itself an anchor
            continue
        start, end = _through_nearer(lo, before, after), _through_nearer(hi, before, after)
        start, end = max(start, 0), min(end, new_size)
        if end <= start:
            continue
        first = max(bisect.bisect_right(new_starts, start) - 1, 0)
        ranked = []
        for j in range(first, len(new)):
            if new_starts[j] >= end:
                break
            overlap = min(new_starts[j] + new[j][1], end) - max(new_starts[j], start)
            if overlap > 0:
                ranked.append((-overlap, j))
        ranked.sort()
        if ranked:      # a runner-up only when it holds a fair share of the bytes
            out[i] = [j for o, j in ranked[:2] if 4 * o <= ranked[0][0]]
    return out


def _through_nearer(x: int, before, after) -> int:
    """Old offset ``x`` as a new offset, through the nearer anchor around it
    (before: its end; after: its start); by offset alone without anchors."""
    if before is not None and (after is None or x - before[1] <= after[0] - x):
        return x - before[1] + before[3]
    if after is not None:
        return x - after[0] + after[2]
    return x
