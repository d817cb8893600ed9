"""Row matching without a key: each version as a multiset of whole rows.

Each version is grouped by all common columns with a count.  A row value that
occurs k more times in the new version than in the old is k added rows, k fewer
is k removed rows; duplicates count.  Nothing is "modified" (without a key a
changed row is one removed and one added).  Columns in only one version are left
out of the comparison; the schema section reports them.
"""
from __future__ import annotations

from .formats import quote_ident
from .model import Counts, Sample
from .schema import Loaded, common_columns, comparable
from .values import jsonable

_DIFF = "__ldv_d"  # DuckDB temp table: differing row values with both counts


def diff(con, old: Loaded, new: Loaded, sample: int):
    """Counts and a sample of rows whose multiplicity differs."""
    pairs = common_columns(old, new)
    if not pairs:
        # Nothing to compare rows by: every row is replaced.
        counts = Counts(added=new.side.rows, removed=old.side.rows)
        return counts, {}, Sample()
    _build(con, old, new, pairs)
    removed, added = con.execute(
        f"SELECT coalesce(sum(greatest(no - nn, 0)), 0)::BIGINT, "
        f"coalesce(sum(greatest(nn - no, 0)), 0)::BIGINT FROM {_DIFF}").fetchall()[0]
    counts = Counts(added=added, removed=removed, unchanged=old.side.rows - removed)
    return counts, {}, _sample(con, pairs, sample, counts) if sample else Sample()


def _value(alias: str, co, cn) -> str:
    q = f"{alias}.{quote_ident(co.name)}"
    return q if comparable(co, cn) else f"CAST({q} AS VARCHAR)"


def _build(con, old: Loaded, new: Loaded, pairs) -> None:
    vo = ", ".join(f"{_value('t', co, cn)} AS v{j}" for j, (co, cn) in enumerate(pairs))
    on = " AND ".join(f"o.v{j} IS NOT DISTINCT FROM n.v{j}" for j in range(len(pairs)))
    vals = ", ".join(f"coalesce(o.v{j}, n.v{j}) AS v{j}" for j in range(len(pairs)))
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE {_DIFF} AS
        SELECT {vals}, coalesce(o.c, 0) AS no, coalesce(n.c, 0) AS nn
        FROM (SELECT {vo}, count(*) AS c FROM {old.view} t GROUP BY ALL) o
        FULL OUTER JOIN (SELECT {vo}, count(*) AS c FROM {new.view} t GROUP BY ALL) n
        ON {on}
        WHERE coalesce(o.c, 0) <> coalesce(n.c, 0)""")


def _sample(con, pairs, n: int, counts: Counts) -> Sample:
    order = ", ".join(f"v{j}" for j in range(len(pairs)))

    def pick(cond: str, count: str) -> tuple[dict, ...]:
        rows = con.execute(f"SELECT *, {count} FROM {_DIFF} WHERE {cond} "
                           f"ORDER BY {order} LIMIT {int(n)}").fetchall()
        return tuple({"row": {co.name: jsonable(v) for (co, _), v in zip(pairs, r)},
                      "count": int(r[-1])} for r in rows)

    added = pick("nn > no", "nn - no") if counts.added else ()
    removed = pick("no > nn", "no - nn") if counts.removed else ()
    return Sample(added=added, removed=removed)
