"""Keyed row matching: a FULL OUTER JOIN of the two versions on the key.

The key must be unique in each version (NULL counts as a value, and matches
NULL).  A row only in the new version is added, only in the old one removed; a
row in both is modified when any other common column differs, and each such
column's counter goes up by one.  Columns added or removed by a schema change do
not make a row modified: the schema section reports them.

The join is narrow: each side is projected to its key columns and, per other
column, the value itself when it is a fixed-width number, time or boolean, else
a 64-bit hash of it (NULL kept as NULL) and, for text and lists, its length.  So
the hash table holds ~8 bytes per column and row whatever the text widths, and
a 10M-row join fits in well under the file's size.  Two values with equal
hashes count as equal: a change is missed with probability 2^-64 per changed
value.  One aggregate over the join computes every count, the per-column drift
statistics of both versions (each row of a version is in the join exactly once)
and picks the sample keys (``min_by(k, k, n)``), so each file is scanned once;
the sampled rows themselves are then fetched by key.  Uniqueness costs no extra pass:
with unique keys the join has exactly |old| - removed = |new| - added matched
rows and as many distinct unmatched keys as unmatched rows; any duplicate breaks
one of those equations.  A cheap HyperLogLog pre-check catches a key with many
duplicates before the join could multiply them out.
"""
from __future__ import annotations

import contextlib

from ldv.plumbing.errors import BadInput

from .drift import pair_up, stats_plan
from .formats import quote_ident
from .model import Column, Counts, Sample
from .schema import Loaded, common_columns, comparable
from .values import jsonable, kind_of

_AGG = "__ldv_agg"  # one-row DuckDB temp table: the counts and the sample keys
_HLL_SLACK = 0.9  # HyperLogLog is off by a few percent; below this, look closer


def check_columns(old: Loaded, new: Loaded, key: tuple[str, ...]) -> None:
    """Raise BadInput unless every key column is in both versions."""
    for lo in (old, new):
        if lo.missing:
            continue
        names = [c.name for c in lo.side.columns]
        absent = [k for k in key if k not in names]
        if absent:
            raise BadInput(
                f"key column {absent[0]!r} is not in the {lo.label} version "
                f"{lo.side.path}", hint="its columns are: " + ", ".join(names[:30]))


def key_struct(key: tuple[str, ...], alias: str = "") -> str:
    prefix = f"{alias}." if alias else ""
    return "{" + ", ".join(f"'k{i}': {prefix}{quote_ident(k)}" for i, k in enumerate(key)) + "}"


def precheck_unique(con, lo: Loaded, key: tuple[str, ...]) -> None:
    """Refuse a key with many duplicates before joining (the join would explode)."""
    if lo.missing or not lo.side.rows:
        return
    approx = lo.distinct_keys
    if approx is None:
        approx = con.execute(f"SELECT approx_count_distinct({key_struct(key)}) "
                             f"FROM {lo.view}").fetchall()[0][0]
    if approx < _HLL_SLACK * lo.side.rows:
        raise_duplicate(con, lo, key)


def raise_duplicate(con, lo: Loaded, key: tuple[str, ...]) -> None:
    """Find a duplicated key value in ``lo`` and raise BadInput naming it."""
    cols = ", ".join(quote_ident(k) for k in key)
    # fetchall, not fetchone: DuckDB keeps a half-read result open.
    dup = (con.execute(f"SELECT {cols}, count(*) FROM {lo.view} GROUP BY ALL "
                       f"HAVING count(*) > 1 LIMIT 1").fetchall() or [None])[0]
    if dup:
        shown = ", ".join(f"{k}={jsonable(v)!r}" for k, v in zip(key, dup))
        raise BadInput(
            f"key ({', '.join(key)}) is not unique in the {lo.label} version "
            f"{lo.side.path}: {shown} occurs {dup[-1]} times",
            hint="name columns that identify one row (--key a,b) or drop --key")


def diff(con, old: Loaded, new: Loaded, key: tuple[str, ...], sample: int,
         drift: bool = False, filesystems=()):
    """Counts, per-column change counts, a sample and (``drift``) per-column
    statistics of both versions, matched by ``key``, in one join.

    ``filesystems`` that can (ldv://, ``hold_reads``) keep what the pre-check
    reads for the join, which reads the same key columns again: decrypted once."""
    check_columns(old, new, key)
    plan = _Plan(old, new, key, drift)
    with _held_for_join(filesystems) as join_starts:
        for lo in (old, new):
            precheck_unique(con, lo, key)
        join_starts()
        _aggregate(con, plan, sample)
    names = ["added", "removed", "matched", "modified", "added_keys", "removed_keys"]
    names += [f"c{j}" for j in range(len(plan.values))]
    row = con.execute(f"SELECT {', '.join(names)} FROM {_AGG}").fetchall()[0]
    got = dict(zip(names, row))
    _verify_unique(con, old, new, key, got)
    counts = Counts(got["added"], got["removed"], got["modified"],
                    got["matched"] - got["modified"])
    per_col = {p[0].name: got[f"c{j}"] for j, p in enumerate(plan.values) if got[f"c{j}"]}
    stats = plan.drift(con) if drift else {}
    smp = _sample(con, plan) if sample else Sample()
    return counts, per_col, smp, stats


@contextlib.contextmanager
def _held_for_join(filesystems):
    """Hold reads until the callable it gives is called (before the join);
    drop whatever the join did not read again on the way out."""
    holders = [fs for fs in filesystems if hasattr(fs, "hold_reads")]
    for fs in holders:
        fs.hold_reads(True)
    try:
        yield lambda: [fs.hold_reads(False) for fs in holders]
    finally:
        for fs in holders:
            fs.release_held()


def _verify_unique(con, old, new, key, got) -> None:
    """The cardinality equations of the module docstring; raise on a duplicate."""
    if got["matched"] == old.side.rows - got["removed"] == new.side.rows - got["added"] \
            and got["removed_keys"] == got["removed"] and got["added_keys"] == got["added"]:
        return
    # A duplicate on one side can break the other side's equation: look in both.
    raise_duplicate(con, old, key)
    raise_duplicate(con, new, key)
    raise BadInput(f"key ({', '.join(key)}) does not match rows one to one",
                   hint="name columns that identify one row (--key a,b) or drop --key")


_RAW_KINDS = ("number", "time", "bool")  # fixed width: carried as they are


def _hashed(expr: str) -> str:
    return f"CASE WHEN {expr} IS NULL THEN NULL ELSE hash({expr}) END"


class _Side:
    """One version's narrow projection: ``{a}{i}`` is column i (its value, or its
    hash), ``{a}{i}l`` its length (text, lists), ``{a}{i}t`` the hash of its text
    form (a retyped column compared as text), ``{a}p`` true on every row."""

    def __init__(self, lo: Loaded, alias: str, columns, key: tuple[str, ...]):
        self.lo, self.a, self.columns = lo, alias, columns
        self.index = {c.name: i for i, c in enumerate(columns)}
        self.key = key
        self.as_text: set[str] = set()

    def raw(self, c: Column) -> bool:
        return c.name in self.key or kind_of(c.type) in _RAW_KINDS

    def ref(self, name: str, suffix: str = "") -> str:
        """The projected column for ``name`` in the join's output."""
        return f"{self.a}{self.index[name]}{suffix}"

    def select(self) -> str:
        items = []
        for i, c in enumerate(self.columns):
            q, kind = quote_ident(c.name), kind_of(c.type)
            items.append(f"{q if self.raw(c) else _hashed(q)} AS {self.a}{i}")
            if not self.raw(c) and kind in ("text", "list"):
                items.append(f"{'length' if kind == 'text' else 'len'}({q}) AS {self.a}{i}l")
            if c.name in self.as_text:
                items.append(f"{_hashed(f'CAST({q} AS VARCHAR)')} AS {self.a}{i}t")
        items.append(f"true AS {self.a}p")
        return f"SELECT {', '.join(items)} FROM {self.lo.view}"

    def stats_plan(self):
        def lengths(_i, c):
            if self.raw(c) or kind_of(c.type) not in ("text", "list"):
                return None
            return self.ref(c.name, "l")
        return stats_plan(self.columns, lambda _i, c: self.ref(c.name), lengths)


class _Plan:
    """Which columns are keys, which are compared, how, and the drift aggregates."""

    def __init__(self, old: Loaded, new: Loaded, key: tuple[str, ...], drift: bool):
        pairs = common_columns(old, new)
        self.keys = sorted((p for p in pairs if p[0].name in key),
                           key=lambda p: key.index(p[0].name))
        self.values = [p for p in pairs if p[0].name not in key]
        self.o = _Side(old, "o", _columns(old, new), key)
        self.n = _Side(new, "n", _columns(new, old), key)
        for co, cn in self.values:
            if not comparable(co, cn):
                self.o.as_text.add(co.name)
                self.n.as_text.add(cn.name)
        self.plans = {}
        if drift:
            self.plans = {s.a: s.stats_plan() for s in (self.o, self.n) if not s.lo.missing}

    def key_exprs(self, o: str | None = "o", n: str | None = "n"):
        """Per key column, the (old, new) expressions it is matched by; retyped
        non-numeric keys are matched as text.  ``o``/``n`` None: on the views."""
        out = []
        for co, cn in self.keys:
            eo = self.o.ref(co.name) if o else quote_ident(co.name)
            en = self.n.ref(cn.name) if n else quote_ident(cn.name)
            if not comparable(co, cn):
                eo, en = f"CAST({eo} AS VARCHAR)", f"CAST({en} AS VARCHAR)"
            out.append((eo, en))
        return out

    def differs(self) -> list[str]:
        out = []
        for co, cn in self.values:
            suffix = "" if comparable(co, cn) else "t"
            out.append(f"{self.o.ref(co.name, suffix)} IS DISTINCT FROM "
                       f"{self.n.ref(cn.name, suffix)}")
        return out

    def drift_exprs(self) -> str:
        return "".join(f", {e} AS s{a}{j}" for a, p in self.plans.items()
                       for j, e in enumerate(p.exprs))

    def drift(self, con) -> dict[str, dict]:
        stats = {}
        for side in (self.o, self.n):
            plan = self.plans.get(side.a)
            if plan is None:
                continue
            cols = ", ".join(f"s{side.a}{j}" for j in range(len(plan.exprs)))
            values = con.execute(f"SELECT {cols} FROM {_AGG}").fetchall()[0] if cols else ()
            stats[side.a] = plan.parse(side.lo.side.rows, values)
        return pair_up(stats.get("o", {}), stats.get("n", {}))


def _aggregate(con, plan: _Plan, n: int) -> None:
    """The one join: every count, the drift aggregates and the sample keys, into
    a one-row table.

    Distinct unmatched keys are counted with list_distinct(list(...)): DuckDB's
    count(DISTINCT ...) FILTER hashes every joined row and doubled the time.
    """
    kx = plan.key_exprs()
    on = " AND ".join(f"{ko} IS NOT DISTINCT FROM {kn}" for ko, kn in kx)
    kk = "{" + ", ".join(f"'k{i}': coalesce({ko}, {kn})" for i, (ko, kn) in enumerate(kx)) + "}"
    diffs = plan.differs()
    flags = "".join(f", {d} AS c{j}" for j, d in enumerate(diffs))
    any_diff = " OR ".join(f"c{j}" for j in range(len(diffs))) or "false"
    per_col = "".join(f", count(*) FILTER (s = 'm' AND c{j}) AS c{j}"
                      for j in range(len(diffs)))
    if n:
        f = "[" + ", ".join(f"c{j}" for j in range(len(diffs))) + "]::BOOLEAN[]"
        samples = (f", min_by(kk, kk, {n}) FILTER (s = 'a') AS sample_a"
                   f", min_by(kk, kk, {n}) FILTER (s = 'r') AS sample_r"
                   f", min_by({{'kk': kk, 'f': {f}}}, kk, {n}) FILTER (s = 'm' AND ({any_diff}))"
                   f" AS sample_m")
    else:
        samples = ", NULL AS sample_a, NULL AS sample_r, NULL AS sample_m"
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE {_AGG} AS
        SELECT count(*) FILTER (s = 'a') AS added,
               count(*) FILTER (s = 'r') AS removed,
               count(*) FILTER (s = 'm') AS matched,
               count(*) FILTER (s = 'm' AND ({any_diff})) AS modified,
               coalesce(len(list_distinct(list(kk) FILTER (s = 'a'))), 0) AS added_keys,
               coalesce(len(list_distinct(list(kk) FILTER (s = 'r'))), 0)
                   AS removed_keys{per_col}{samples}{plan.drift_exprs()}
        FROM (SELECT {kk} AS kk,
                     CASE WHEN o.op IS NULL THEN 'a'
                          WHEN n.np IS NULL THEN 'r' ELSE 'm' END AS s{flags}, o.*, n.*
              FROM ({plan.o.select()}) o FULL OUTER JOIN ({plan.n.select()}) n ON {on})""")


def _columns(lo: Loaded, other: Loaded):
    """All columns of a version (a missing version has the other one's shape)."""
    return (other if lo.missing else lo).side.columns


def _fetch(con, side: _Side, kx: list[str], lists: str, keys: list) -> dict:
    """The rows of ``side``'s version whose key is in the sample lists ``lists``
    (SQL over the aggregate; ``keys`` their values, a few): {key: row tuple}.
    Filtering on the first key column's values first lets DuckDB skip the row
    groups (and ldv:// the chunks under them) that cannot hold those keys."""
    kk = "{" + ", ".join(f"'k{i}': {e}" for i, e in enumerate(kx)) + "}"
    cols = ", ".join(f"v.{quote_ident(c.name)}" for c in side.columns)
    wanted = f"(SELECT unnest({lists}) AS k FROM {_AGG})"
    # NULL matches NULL in a key, which IN does not do: then no pre-filter
    pre = (f" WHERE {kx[0]} IN (SELECT k.k0 FROM {wanted})"
           if all(k["k0"] is not None for k in keys) else "")
    # w.k, not v.kk: the key exactly as the aggregate holds it (a retyped key,
    # INTEGER -> BIGINT say, then comes back as the same Python value)
    rows = con.execute(
        f"SELECT w.k, {cols} FROM (SELECT {kk} AS kk, * FROM {side.lo.view}{pre}) v "
        f"JOIN {wanted} w ON v.kk IS NOT DISTINCT FROM w.k").fetchall()
    return {_hashable(r[0]): r[1:] for r in rows}


def _hashable(kk: dict):
    return tuple(kk[f"k{i}"] if not isinstance(kk[f"k{i}"], (list, dict)) else repr(kk[f"k{i}"])
                 for i in range(len(kk)))


def _sample(con, plan: _Plan) -> Sample:
    """The sampled rows (keys from the aggregate, already in key order)."""
    a, r, m = con.execute(f"SELECT sample_a, sample_r, sample_m FROM {_AGG}").fetchall()[0]
    a, r, m = a or [], r or [], m or []
    kx_o = [eo for eo, _ in plan.key_exprs(None, None)]
    kx_n = [en for _, en in plan.key_exprs(None, None)]
    m_keys = "list_transform(coalesce(sample_m, []), lambda x: x.kk)"
    mk = [it["kk"] for it in m]
    old_rows = _fetch(con, plan.o, kx_o, f"list_concat(coalesce(sample_r, []), {m_keys})",
                      r + mk) if r or m else {}
    new_rows = _fetch(con, plan.n, kx_n, f"list_concat(coalesce(sample_a, []), {m_keys})",
                      a + mk) if a or m else {}

    def rows(keys, found, side):
        out = []
        for k in keys:
            values = found[_hashable(k)]
            out.append({"row": {c.name: jsonable(v) for c, v in zip(side.columns, values)},
                        "count": 1})
        return tuple(out)

    modified = []
    for it in m:
        ro, rn = old_rows[_hashable(it["kk"])], new_rows[_hashable(it["kk"])]
        changes = {co.name: {"old": jsonable(ro[plan.o.index[co.name]]),
                             "new": jsonable(rn[plan.n.index[cn.name]])}
                   for j, (co, cn) in enumerate(plan.values) if it["f"][j]}
        key = {co.name: jsonable(it["kk"][f"k{i}"]) for i, (co, _) in enumerate(plan.keys)}
        modified.append({"key": key, "changes": changes})
    return Sample(added=rows(a, new_rows, plan.n), removed=rows(r, old_rows, plan.o),
                  modified=tuple(modified))
