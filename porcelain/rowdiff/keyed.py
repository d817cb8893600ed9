"""Keyed row matching: a FULL OUTER JOIN of the two versions on the key.

The key must be unique in each version (NULL counts as a value, and matches
NULL).  A row only in the new version is added, only in the old one removed; a
row in both is modified when any other common column differs, and each such
column's counter goes up by one.  Columns added or removed by a schema change do
not make a row modified: the schema section reports them.
"""
from __future__ import annotations

from ldv.plumbing.errors import BadInput

from .formats import quote_ident
from .model import Column, Counts, Sample
from .schema import Loaded, common_columns, comparable
from .values import jsonable

_DIFF = "__ldv_d"  # DuckDB temp table: keys, status and change flags of differing rows


def check_key(con, old: Loaded, new: Loaded, key: tuple[str, ...]) -> None:
    """Raise BadInput unless every key column exists and the key is unique."""
    for lo in (old, new):
        if lo.missing:
            continue
        names = [c.name for c in lo.side.columns]
        absent = [k for k in key if k not in names]
        if absent:
            raise BadInput(
                f"key column {absent[0]!r} is not in the {lo.label} version "
                f"{lo.side.path}", hint="its columns are: " + ", ".join(names[:30]))
    for lo in (old, new):
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


def diff(con, old: Loaded, new: Loaded, key: tuple[str, ...], sample: int):
    """Counts, per-column change counts and a sample, matched by ``key``."""
    pairs = common_columns(old, new)
    keys = [p for p in pairs if p[0].name in key]
    keys.sort(key=lambda p: key.index(p[0].name))
    values = [p for p in pairs if p[0].name not in key]
    _build(con, old, new, keys, values)
    flags = "".join(f", count(*) FILTER (s = 'm' AND c{j})" for j in range(len(values)))
    row = con.execute(f"SELECT count(*) FILTER (s = 'a'), count(*) FILTER (s = 'r'), "
                      f"count(*) FILTER (s = 'm'){flags} FROM {_DIFF}").fetchall()[0]
    added, removed, modified = row[:3]
    counts = Counts(added, removed, modified, old.side.rows - removed - modified)
    per_col = {p[0].name: n for p, n in zip(values, row[3:]) if n}
    smp = _sample(con, old, new, keys, values, sample, counts) if sample else Sample()
    return counts, per_col, smp


def _key_exprs(keys, alias_o="o", alias_n="n"):
    """Key expressions per side; retyped non-numeric keys are matched as text."""
    out = []
    for co, cn in keys:
        q = quote_ident(co.name)
        if comparable(co, cn):
            out.append((f"{alias_o}.{q}", f"{alias_n}.{q}"))
        else:
            out.append((f"CAST({alias_o}.{q} AS VARCHAR)", f"CAST({alias_n}.{q} AS VARCHAR)"))
    return out


def _differs(co: Column, cn: Column) -> str:
    q = quote_ident(co.name)
    if comparable(co, cn):
        return f"o.{q} IS DISTINCT FROM n.{q}"
    return f"CAST(o.{q} AS VARCHAR) IS DISTINCT FROM CAST(n.{q} AS VARCHAR)"


def _build(con, old, new, keys, values) -> None:
    """The one big join: keys, status (a/r/m) and flags of every differing row."""
    kx = _key_exprs(keys)
    on = " AND ".join(f"{ko} IS NOT DISTINCT FROM {kn}" for ko, kn in kx)
    kcols = ", ".join(f"coalesce({ko}, {kn}) AS k{i}" for i, (ko, kn) in enumerate(kx))
    diffs = [_differs(co, cn) for co, cn in values]
    flags = "".join(f", {d} AS c{j}" for j, d in enumerate(diffs))
    any_diff = " OR ".join(f"({d})" for d in diffs) or "false"
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE {_DIFF} AS
        SELECT {kcols},
               CASE WHEN o.__ldv_p IS NULL THEN 'a'
                    WHEN n.__ldv_p IS NULL THEN 'r' ELSE 'm' END AS s{flags}
        FROM (SELECT *, true AS __ldv_p FROM {old.view}) o
        FULL OUTER JOIN (SELECT *, true AS __ldv_p FROM {new.view}) n ON {on}
        WHERE o.__ldv_p IS NULL OR n.__ldv_p IS NULL OR {any_diff}""")


def _sample(con, old, new, keys, values, n, counts) -> Sample:
    """The first ``n`` rows of each kind in key order, fetched by key."""
    order = ", ".join(f"k{i}" for i in range(len(keys)))
    pick = f"SELECT * FROM {_DIFF} WHERE s = '{{s}}' ORDER BY {order} LIMIT {int(n)}"
    added = _rows(con, new, "n", keys, pick.format(s="a")) if counts.added else ()
    removed = _rows(con, old, "o", keys, pick.format(s="r")) if counts.removed else ()
    modified = _modified(con, old, new, keys, values, pick.format(s="m")) \
        if counts.modified else ()
    return Sample(added=added, removed=removed, modified=modified)


def _match(keys, alias: str) -> str:
    side = 0 if alias == "o" else 1
    return " AND ".join(f"{ex[side]} IS NOT DISTINCT FROM s.k{i}"
                        for i, ex in enumerate(_key_exprs(keys)))


def _rows(con, lo: Loaded, alias: str, keys, pick: str) -> tuple[dict, ...]:
    order = ", ".join(ex[0 if alias == "o" else 1] for ex in _key_exprs(keys))
    cur = con.execute(f"SELECT {alias}.* FROM {lo.view} {alias} "
                      f"SEMI JOIN ({pick}) s ON {_match(keys, alias)} ORDER BY {order}")
    names = [d[0] for d in cur.description]
    return tuple({"row": {k: jsonable(v) for k, v in zip(names, r)}, "count": 1}
                 for r in cur.fetchall())


def _modified(con, old, new, keys, values, pick: str) -> tuple[dict, ...]:
    vo = ", ".join(f"o.{quote_ident(co.name)} AS o{j}" for j, (co, _) in enumerate(values))
    vn = ", ".join(f"n.{quote_ident(cn.name)} AS n{j}" for j, (_, cn) in enumerate(values))
    order = ", ".join(f"s.k{i}" for i in range(len(keys)))
    rows = con.execute(
        f"SELECT s.*, {vo}, {vn} FROM ({pick}) s "
        f"JOIN {old.view} o ON {_match(keys, 'o')} "
        f"JOIN {new.view} n ON {_match(keys, 'n')} ORDER BY {order}").fetchall()
    nk, nv = len(keys), len(values)
    out = []
    for r in rows:
        flags, vals_o, vals_n = r[nk + 1:nk + 1 + nv], r[nk + 1 + nv:nk + 1 + 2 * nv], \
            r[nk + 1 + 2 * nv:]
        out.append({
            "key": {co.name: jsonable(v) for (co, _), v in zip(keys, r[:nk])},
            "changes": {co.name: {"old": jsonable(a), "new": jsonable(b)}
                        for (co, _), f, a, b in zip(values, flags, vals_o, vals_n) if f}})
    return tuple(out)
