"""Keyed row matching: a FULL OUTER JOIN of the two versions on the key.

The key must be unique in each version (NULL counts as a value, and matches
NULL).  A row only in the new version is added, only in the old one removed; a
row in both is modified when any other common column differs, and each such
column's counter goes up by one.  Columns added or removed by a schema change do
not make a row modified: the schema section reports them.

One aggregate over the join computes every count and picks the sample keys
(``min(k, n)``), so the files are joined once.  Uniqueness costs no extra pass:
with unique keys the join has exactly |old| - removed = |new| - added matched
rows and as many distinct unmatched keys as unmatched rows; any duplicate breaks
one of those equations.  A cheap HyperLogLog pre-check catches a key with many
duplicates before the join could multiply them out.
"""
from __future__ import annotations

from ldv.plumbing.errors import BadInput

from .formats import quote_ident
from .model import Column, Counts, Sample
from .schema import Loaded, common_columns, comparable
from .values import jsonable

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


def _kstruct(key: tuple[str, ...], alias: str = "") -> str:
    prefix = f"{alias}." if alias else ""
    return "{" + ", ".join(f"'k{i}': {prefix}{quote_ident(k)}" for i, k in enumerate(key)) + "}"


def precheck_unique(con, lo: Loaded, key: tuple[str, ...]) -> None:
    """Refuse a key with many duplicates before joining (the join would explode)."""
    if lo.missing or not lo.side.rows:
        return
    approx = con.execute(f"SELECT approx_count_distinct({_kstruct(key)}) "
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


def diff(con, old: Loaded, new: Loaded, key: tuple[str, ...], sample: int):
    """Counts, per-column change counts and a sample, matched by ``key``, in one join."""
    check_columns(old, new, key)
    for lo in (old, new):
        precheck_unique(con, lo, key)
    pairs = common_columns(old, new)
    keys = sorted((p for p in pairs if p[0].name in key), key=lambda p: key.index(p[0].name))
    values = [p for p in pairs if p[0].name not in key]
    _aggregate(con, old, new, keys, values, sample)
    names = ["added", "removed", "matched", "modified", "added_keys", "removed_keys"]
    names += [f"c{j}" for j in range(len(values))]
    row = con.execute(f"SELECT {', '.join(names)} FROM {_AGG}").fetchall()[0]
    got = dict(zip(names, row))
    _verify_unique(con, old, new, key, got)
    counts = Counts(got["added"], got["removed"], got["modified"],
                    got["matched"] - got["modified"])
    per_col = {p[0].name: got[f"c{j}"] for j, p in enumerate(values) if got[f"c{j}"]}
    smp = _sample(con, old, new, keys, values) if sample else Sample()
    return counts, per_col, smp


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


def _struct(fields: list[tuple[str, str]]) -> str:
    return "{" + ", ".join(f"'{name}': {expr}" for name, expr in fields) + "}"


def _aggregate(con, old, new, keys, values, n: int) -> None:
    """The one join: every count and the sample rows, into a one-row table.

    Distinct unmatched keys are counted with list_distinct(list(...)): DuckDB's
    count(DISTINCT ...) FILTER hashes every joined row and doubled the time.  The
    sample rows ride along as ``min_by(row, key, n)``, so no second scan fetches
    them (through ldv:// a scan means decrypting the file again).
    """
    kx = _key_exprs(keys)
    on = " AND ".join(f"{ko} IS NOT DISTINCT FROM {kn}" for ko, kn in kx)
    kk = "{" + ", ".join(f"'k{i}': coalesce({ko}, {kn})" for i, (ko, kn) in enumerate(kx)) + "}"
    diffs = [_differs(co, cn) for co, cn in values]
    flags = "".join(f", {d} AS c{j}" for j, d in enumerate(diffs))
    any_diff = " OR ".join(f"c{j}" for j in range(len(diffs))) or "false"
    per_col = "".join(f", count(*) FILTER (s = 'm' AND c{j}) AS c{j}"
                      for j in range(len(diffs)))
    carried, samples = _sample_exprs(old, new, values, n, any_diff)
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE {_AGG} AS
        SELECT count(*) FILTER (s = 'a') AS added,
               count(*) FILTER (s = 'r') AS removed,
               count(*) FILTER (s = 'm') AS matched,
               count(*) FILTER (s = 'm' AND ({any_diff})) AS modified,
               coalesce(len(list_distinct(list(kk) FILTER (s = 'a'))), 0) AS added_keys,
               coalesce(len(list_distinct(list(kk) FILTER (s = 'r'))), 0)
                   AS removed_keys{per_col}{samples}
        FROM (SELECT {kk} AS kk,
                     CASE WHEN o.__ldv_p IS NULL THEN 'a'
                          WHEN n.__ldv_p IS NULL THEN 'r' ELSE 'm' END AS s{flags}{carried}
              FROM (SELECT *, true AS __ldv_p FROM {old.view}) o
              FULL OUTER JOIN (SELECT *, true AS __ldv_p FROM {new.view}) n ON {on})""")


def _sample_exprs(old, new, values, n: int, any_diff: str) -> tuple[str, str]:
    """(columns carried out of the join, sample aggregates) for a sample of ``n``."""
    if not n:
        return "", ", NULL AS sample_a, NULL AS sample_r, NULL AS sample_m"
    cols_o = _columns(old, new)
    cols_n = _columns(new, old)
    carried = [f"o.{quote_ident(c.name)} AS ro{i}" for i, c in enumerate(cols_o)]
    carried += [f"n.{quote_ident(c.name)} AS rn{i}" for i, c in enumerate(cols_n)]
    modified = [("kk", "kk"), ("f", "[" + ", ".join(
        f"c{j}" for j in range(len(values))) + "]::BOOLEAN[]")]
    if values:
        carried += [f"o.{quote_ident(co.name)} AS vo{j}" for j, (co, _) in enumerate(values)]
        carried += [f"n.{quote_ident(cn.name)} AS vn{j}" for j, (_, cn) in enumerate(values)]
        modified += [("o", _struct([(f"v{j}", f"vo{j}") for j in range(len(values))])),
                     ("n", _struct([(f"v{j}", f"vn{j}") for j in range(len(values))]))]
    row_o = _struct([(f"r{i}", f"ro{i}") for i in range(len(cols_o))])
    row_n = _struct([(f"r{i}", f"rn{i}") for i in range(len(cols_n))])
    samples = (f", min_by({row_n}, kk, {n}) FILTER (s = 'a') AS sample_a"
               f", min_by({row_o}, kk, {n}) FILTER (s = 'r') AS sample_r"
               f", min_by({_struct(modified)}, kk, {n}) FILTER (s = 'm' AND ({any_diff}))"
               f" AS sample_m")
    return "".join(", " + c for c in carried), samples


def _columns(lo: Loaded, other: Loaded):
    """All columns of a version (a missing version has the other one's shape)."""
    return (other if lo.missing else lo).side.columns


def _sample(con, old, new, keys, values) -> Sample:
    """The sampled rows, decoded from the aggregate's lists (already in key order)."""
    a, r, m = con.execute(f"SELECT sample_a, sample_r, sample_m FROM {_AGG}").fetchall()[0]

    def rows(items, cols):
        return tuple({"row": {c.name: jsonable(it[f"r{i}"]) for i, c in enumerate(cols)},
                      "count": 1} for it in items or ())

    modified = []
    for it in m or ():
        changes = {co.name: {"old": jsonable(it["o"][f"v{j}"]),
                             "new": jsonable(it["n"][f"v{j}"])}
                   for j, (co, _) in enumerate(values) if it["f"][j]}
        key = {co.name: jsonable(it["kk"][f"k{i}"]) for i, (co, _) in enumerate(keys)}
        modified.append({"key": key, "changes": changes})
    return Sample(added=rows(a, _columns(new, old)), removed=rows(r, _columns(old, new)),
                  modified=tuple(modified))
