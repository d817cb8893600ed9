"""Line diff with the exact behaviour of Git's xdiff (Myers, no indent heuristic).

Three-way merge results depend on how each side's diff aligns repeated lines, so
"same result as ``git merge-file``" needs the same alignment, not just *a* minimal
diff.  This module reproduces xdiff's observable steps, re-expressed in Python:

1. trim the common head and tail;
2. discard lines that have no match in the other file, and runs of lines with many
   matches that sit among such lines (they only slow the search down);
3. Myers' O(ND) divide-and-conquer on what is left, with xdiff's cost cut-offs;
4. slide every change group as far down as it goes, then back up to line up with a
   change in the other file (``compact``);
5. read the change script off the two "changed" vectors.

Glossary: a *record* is a line including its ``\\n``; a *class* is an integer that
is equal for equal records; a *change* is ``Change(i1, chg1, i2, chg2)``: lines
``a[i1:i1+chg1]`` became ``b[i2:i2+chg2]``.
"""
from __future__ import annotations

from dataclasses import dataclass

SNAKE_CNT = 20          # a snake this long makes a split point "interesting"
HEUR_MIN_COST = 256     # edit cost before the interesting-snake heuristic kicks in
MAX_COST_MIN = 256      # lower bound of the cost at which the search gives up
K_HEUR = 4
MAX_EQLIMIT = 1024      # cap on "many matches" when discarding lines
KPDIS_RUN = 4
SIMSCAN_WINDOW = 100
LINE_MAX = (1 << 63) - 1


@dataclass(frozen=True)
class Change:
    i1: int
    chg1: int
    i2: int
    chg2: int


def split_lines(data: bytes) -> list[bytes]:
    """Split into records that keep their ``\\n``; a last line may lack one."""
    lines = data.split(b"\n")
    out = [ln + b"\n" for ln in lines[:-1]]
    if lines[-1]:
        out.append(lines[-1])
    return out


def bogosqrt(n: int) -> int:
    """xdiff's cheap integer square root (a power of two >= sqrt(n))."""
    i = 1
    while n > 0:
        n >>= 2
        i <<= 1
    return i


class _Side:
    """One file of a pairwise diff: class ids, changed flags, reduced index."""

    __slots__ = ("ha", "nrec", "chg", "rindex", "rha", "dstart", "dend")

    def __init__(self, ha: list[int]):
        self.ha = ha
        self.nrec = len(ha)
        # chg[i + 1] is line i; chg[0] and chg[nrec + 1] stay 0 as sentinels.
        self.chg = bytearray(self.nrec + 2)
        self.rindex: list[int] = []
        self.rha: list[int] = []
        self.dstart = 0
        self.dend = self.nrec - 1

    def changed(self, i: int) -> int:
        return self.chg[i + 1]

    def mark(self, i: int, v: int = 1) -> None:
        self.chg[i + 1] = v


def _classify(a: list[bytes], b: list[bytes]) -> tuple[list[int], list[int]]:
    ids: dict[bytes, int] = {}
    ha = [ids.setdefault(x, len(ids)) for x in a]
    hb = [ids.setdefault(x, len(ids)) for x in b]
    return ha, hb


def _trim_ends(x: _Side, y: _Side) -> None:
    lim = min(x.nrec, y.nrec)
    i = 0
    while i < lim and x.ha[i] == y.ha[i]:
        i += 1
    x.dstart = y.dstart = i
    lim -= i
    j = 0
    while j < lim and x.ha[x.nrec - 1 - j] == y.ha[y.nrec - 1 - j]:
        j += 1
    x.dend = x.nrec - j - 1
    y.dend = y.nrec - j - 1


def _match_counts(x: _Side, y: _Side) -> list[int]:
    """0: no match in y, 1: some, 2: many (>= mlim) — per line of x's middle."""
    counts: dict[int, int] = {}
    for h in y.ha:
        counts[h] = counts.get(h, 0) + 1
    mlim = min(bogosqrt(x.nrec), MAX_EQLIMIT)
    dis = [0] * (x.nrec + 1)
    for i in range(x.dstart, x.dend + 1):
        nm = counts.get(x.ha[i], 0)
        dis[i] = 0 if nm == 0 else (2 if nm >= mlim else 1)
    return dis


def _clean_mmatch(dis: list[int], i: int, s: int, e: int) -> bool:
    """True if the many-match line i sits in a run mostly made of unmatched lines."""
    s = max(s, i - SIMSCAN_WINDOW)
    e = min(e, i + SIMSCAN_WINDOW)
    rdis0, rpdis0, r = 0, 1, 1
    while i - r >= s:
        v = dis[i - r]
        if v == 0:
            rdis0 += 1
        elif v == 2:
            rpdis0 += 1
        else:
            break
        r += 1
    if rdis0 == 0:
        return False
    rdis1, rpdis1, r = 0, 1, 1
    while i + r <= e:
        v = dis[i + r]
        if v == 0:
            rdis1 += 1
        elif v == 2:
            rpdis1 += 1
        else:
            break
        r += 1
    if rdis1 == 0:
        return False
    rdis1 += rdis0
    rpdis1 += rpdis0
    return rpdis1 * KPDIS_RUN < rpdis1 + rdis1


def _cleanup_records(x: _Side, y: _Side) -> None:
    dx, dy = _match_counts(x, y), _match_counts(y, x)
    for side, dis in ((x, dx), (y, dy)):
        for i in range(side.dstart, side.dend + 1):
            if dis[i] == 1 or (dis[i] == 2 and not _clean_mmatch(dis, i, side.dstart, side.dend)):
                side.rindex.append(i)
                side.rha.append(side.ha[i])
            else:
                side.mark(i)


class _Env:
    __slots__ = ("a", "b", "kf", "kb", "koff", "mxcost")

    def __init__(self, a: _Side, b: _Side):
        self.a, self.b = a, b
        ndiags = len(a.rha) + len(b.rha) + 3
        self.kf = [0] * ndiags
        self.kb = [0] * ndiags
        self.koff = len(b.rha) + 1
        self.mxcost = max(bogosqrt(ndiags), MAX_COST_MIN)


def _widen(k: list[int], ko: int, lo: int, hi: int, dmin: int, dmax: int,
           sentinel: int) -> tuple[int, int]:
    """Widen a diagonal range by one each way, or shrink it at the box's edge; the
    sentinel just outside spares the inner loop a bounds check."""
    if lo > dmin:
        lo -= 1
        k[lo - 1 + ko] = sentinel
    else:
        lo += 1
    if hi < dmax:
        hi += 1
        k[hi + 1 + ko] = sentinel
    else:
        hi -= 1
    return lo, hi


def _split(env: _Env, off1: int, lim1: int, off2: int, lim2: int,
           need_min: bool) -> tuple[int, int, bool, bool]:
    """Find a split point (i1, i2, min_lo, min_hi) of the box, as xdl_split does."""
    a, b, kf, kb, ko = env.a.rha, env.b.rha, env.kf, env.kb, env.koff
    dmin, dmax = off1 - lim2, lim1 - off2
    fmid, bmid = off1 - off2, lim1 - lim2
    odd = (fmid - bmid) & 1
    fmin = fmax = fmid
    bmin = bmax = bmid
    kf[fmid + ko] = off1
    kb[bmid + ko] = lim1
    ec = 0
    while True:
        ec += 1
        got_snake = False
        fmin, fmax = _widen(kf, ko, fmin, fmax, dmin, dmax, -1)
        for d in range(fmax, fmin - 1, -2):
            lo, hi = kf[d - 1 + ko], kf[d + 1 + ko]
            i1 = lo + 1 if lo >= hi else hi
            prev1 = i1
            i2 = i1 - d
            while i1 < lim1 and i2 < lim2 and a[i1] == b[i2]:
                i1 += 1
                i2 += 1
            if i1 - prev1 > SNAKE_CNT:
                got_snake = True
            kf[d + ko] = i1
            if odd and bmin <= d <= bmax and kb[d + ko] <= i1:
                return i1, i2, True, True
        bmin, bmax = _widen(kb, ko, bmin, bmax, dmin, dmax, LINE_MAX)
        for d in range(bmax, bmin - 1, -2):
            lo, hi = kb[d - 1 + ko], kb[d + 1 + ko]
            i1 = lo if lo < hi else hi - 1
            prev1 = i1
            i2 = i1 - d
            while i1 > off1 and i2 > off2 and a[i1 - 1] == b[i2 - 1]:
                i1 -= 1
                i2 -= 1
            if prev1 - i1 > SNAKE_CNT:
                got_snake = True
            kb[d + ko] = i1
            if not odd and fmin <= d <= fmax and i1 <= kf[d + ko]:
                return i1, i2, True, True
        if need_min:
            continue
        if got_snake and ec > HEUR_MIN_COST:
            found = _interesting_snake(env, off1, lim1, off2, lim2, ec,
                                       (fmin, fmax, fmid), (bmin, bmax, bmid))
            if found:
                return found
        if ec >= env.mxcost:
            return _furthest(env, off1, lim1, off2, lim2, (fmin, fmax), (bmin, bmax))


def _interesting_snake(env, off1, lim1, off2, lim2, ec, fwd, bwd):
    """After a costly search, accept a diagonal that reached far along a long snake."""
    a, b, kf, kb, ko = env.a.rha, env.b.rha, env.kf, env.kb, env.koff
    fmin, fmax, fmid = fwd
    best, spl = 0, None
    for d in range(fmax, fmin - 1, -2):
        dd = d - fmid if d > fmid else fmid - d
        i1 = kf[d + ko]
        i2 = i1 - d
        v = (i1 - off1) + (i2 - off2) - dd
        if (v > K_HEUR * ec and v > best and off1 + SNAKE_CNT <= i1 < lim1
                and off2 + SNAKE_CNT <= i2 < lim2):
            k = 1
            while a[i1 - k] == b[i2 - k]:
                if k == SNAKE_CNT:
                    best, spl = v, (i1, i2, True, False)
                    break
                k += 1
    if best > 0:
        return spl
    bmin, bmax, bmid = bwd
    best, spl = 0, None
    for d in range(bmax, bmin - 1, -2):
        dd = d - bmid if d > bmid else bmid - d
        i1 = kb[d + ko]
        i2 = i1 - d
        v = (lim1 - i1) + (lim2 - i2) - dd
        if (v > K_HEUR * ec and v > best and off1 < i1 <= lim1 - SNAKE_CNT
                and off2 < i2 <= lim2 - SNAKE_CNT):
            k = 0
            while a[i1 + k] == b[i2 + k]:
                if k == SNAKE_CNT - 1:
                    best, spl = v, (i1, i2, False, True)
                    break
                k += 1
    return spl if best > 0 else None


def _furthest(env, off1, lim1, off2, lim2, fwd, bwd):
    """Give up on optimality: split at the furthest-reaching diagonal."""
    kf, kb, ko = env.kf, env.kb, env.koff
    fbest = fbest1 = -1
    for d in range(fwd[1], fwd[0] - 1, -2):
        i1 = min(kf[d + ko], lim1)
        i2 = i1 - d
        if lim2 < i2:
            i1, i2 = lim2 + d, lim2
        if fbest < i1 + i2:
            fbest, fbest1 = i1 + i2, i1
    bbest = bbest1 = LINE_MAX
    for d in range(bwd[1], bwd[0] - 1, -2):
        i1 = max(off1, kb[d + ko])
        i2 = i1 - d
        if i2 < off2:
            i1, i2 = off2 + d, off2
        if i1 + i2 < bbest:
            bbest, bbest1 = i1 + i2, i1
    if (lim1 + lim2) - bbest < fbest - (off1 + off2):
        return fbest1, fbest - fbest1, True, False
    return bbest1, bbest - bbest1, False, True


def _compare(env: _Env, need_min: bool) -> None:
    """Divide and conquer over the reduced records, marking changed lines."""
    a, b = env.a, env.b
    ra, rb = a.rha, b.rha
    stack = [(0, len(ra), 0, len(rb), need_min)]
    while stack:
        off1, lim1, off2, lim2, nm = stack.pop()
        while off1 < lim1 and off2 < lim2 and ra[off1] == rb[off2]:
            off1 += 1
            off2 += 1
        while off1 < lim1 and off2 < lim2 and ra[lim1 - 1] == rb[lim2 - 1]:
            lim1 -= 1
            lim2 -= 1
        if off1 == lim1:
            for k in range(off2, lim2):
                b.mark(b.rindex[k])
        elif off2 == lim2:
            for k in range(off1, lim1):
                a.mark(a.rindex[k])
        else:
            i1, i2, min_lo, min_hi = _split(env, off1, lim1, off2, lim2, nm)
            # Order does not matter: the halves touch disjoint lines.
            stack.append((i1, lim1, i2, lim2, min_hi))
            stack.append((off1, i1, off2, i2, min_lo))


class _Group:
    """A run of changed lines [start, end) of one side (possibly empty)."""

    __slots__ = ("s", "start", "end")

    def __init__(self, s: _Side):
        self.s = s
        self.start = self.end = 0
        while s.changed(self.end):
            self.end += 1

    def next(self) -> bool:
        s = self.s
        if self.end == s.nrec:
            return False
        self.start = self.end + 1
        self.end = self.start
        while s.changed(self.end):
            self.end += 1
        return True

    def previous(self) -> bool:
        s = self.s
        if self.start == 0:
            return False
        self.end = self.start - 1
        self.start = self.end
        while s.changed(self.start - 1):
            self.start -= 1
        return True

    def slide_down(self) -> bool:
        s = self.s
        if self.end < s.nrec and s.ha[self.start] == s.ha[self.end]:
            s.mark(self.start, 0)
            s.mark(self.end, 1)
            self.start += 1
            self.end += 1
            while s.changed(self.end):
                self.end += 1
            return True
        return False

    def slide_up(self) -> bool:
        s = self.s
        if self.start > 0 and s.ha[self.start - 1] == s.ha[self.end - 1]:
            self.start -= 1
            self.end -= 1
            s.mark(self.start, 1)
            s.mark(self.end, 0)
            while s.changed(self.start - 1):
                self.start -= 1
            return True
        return False


def _compact(x: _Side, o: _Side) -> None:
    """Slide change groups down as far as possible, then up to meet the other side's."""
    g, go = _Group(x), _Group(o)
    while True:
        if g.end != g.start:
            while True:
                size = g.end - g.start
                end_matching_other = -1
                while g.slide_up():
                    go.previous()
                earliest_end = g.end
                if go.end > go.start:
                    end_matching_other = g.end
                while g.slide_down():
                    go.next()
                    if go.end > go.start:
                        end_matching_other = g.end
                if size == g.end - g.start:
                    break
            if g.end != earliest_end and end_matching_other != -1:
                while go.end == go.start:
                    g.slide_up()
                    go.previous()
        if not g.next():
            break
        go.next()


def _script(x: _Side, y: _Side) -> list[Change]:
    out: list[Change] = []
    i1, i2 = x.nrec, y.nrec
    while i1 >= 0 or i2 >= 0:
        if x.changed(i1 - 1) or y.changed(i2 - 1):
            l1, l2 = i1, i2
            while x.changed(i1 - 1):
                i1 -= 1
            while y.changed(i2 - 1):
                i2 -= 1
            out.append(Change(i1, l1 - i1, i2, l2 - i2))
        i1 -= 1
        i2 -= 1
    out.reverse()
    return out


def diff(a: list[bytes], b: list[bytes], *, minimal: bool = False) -> list[Change]:
    """The change script from records ``a`` to records ``b``, as xdiff finds it."""
    ha, hb = _classify(a, b)
    x, y = _Side(ha), _Side(hb)
    _trim_ends(x, y)
    _cleanup_records(x, y)
    _compare(_Env(x, y), minimal)
    _compact(x, y)
    _compact(y, x)
    return _script(x, y)
