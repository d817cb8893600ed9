"""Per-column drift and chat statistics of each version, side by side.

One aggregate per version computes, for every column: the null fraction and an
approximate distinct count (HyperLogLog); for numbers min, max and mean; for
text (and lists) the length distribution (min, mean, p50, p90, p99, max, the
quantiles approximate); for dates and times min and max; for booleans the
fraction true.  It runs over what the row matching reads anyway, so that a
diff reads each file once: keyed.py's join (``stats_plan``), or multiset.py's
table of a version's distinct rows, each repeated as often as it occurs
(``repeated``); over the file itself (``column_stats``) only when nothing else
reads it.  Chat-style JSONL (a ``messages`` list of ``role``/``content``
structs) also gets message, token and byte totals per role.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from ldv.plumbing.errors import UsageError

from .formats import quote_ident
from .model import Column
from .schema import Loaded
from .values import jsonable, kind_of

_QUANTILES = (0.5, 0.9, 0.99)


def column_drift(con, old: Loaded, new: Loaded) -> dict[str, dict]:
    """``{column: {"old": stats | None, "new": stats | None}}`` in column order."""
    before = {} if old.missing else column_stats(con, old)
    after = {} if new.missing else column_stats(con, new)
    return pair_up(before, after)


def pair_up(before: dict, after: dict) -> dict[str, dict]:
    names = list(before) + [n for n in after if n not in before]
    return {n: {"old": before.get(n), "new": after.get(n)} for n in names}


def _call(fn: str, arg: str, cast: str = "", extra: str = "") -> str:
    """One aggregate call, its result cast when ``cast``."""
    out = f"{fn}({arg}{extra})"
    return f"({out})::{cast}" if cast else out


def _exprs(kind: str, q: str, ln: str | None = None) -> list[str]:
    """The aggregates computed for one column of family ``kind`` (``ln``: its
    lengths, when the caller computed them already)."""
    if kind == "number":
        return [_call("min", q, "DOUBLE"), _call("max", q, "DOUBLE"),
                _call("avg", f"{q}::DOUBLE")]
    if kind in ("text", "list"):
        ln = ln or (f"length({q})" if kind == "text" else f"len({q})")
        qs = ", [" + ", ".join(str(x) for x in _QUANTILES) + "]"
        return [_call("min", ln), _call("avg", ln), _call("max", ln),
                _call("approx_quantile", ln, extra=qs)]
    if kind == "time":
        return [_call("min", q, "VARCHAR"), _call("max", q, "VARCHAR")]
    if kind == "bool":
        return [_call("avg", f"{q}::INTEGER")]
    return []


def _stats(kind: str, sql_type: str, rows: int, nonnull: int, distinct: int,
           extra: list) -> dict:
    out = {"type": sql_type,
           "null_fraction": round(1 - nonnull / rows, 6) if rows else 0.0,
           "distinct": int(distinct or 0)}
    if kind == "number":
        out.update(min=jsonable(extra[0]), max=jsonable(extra[1]), mean=jsonable(extra[2]))
    elif kind in ("text", "list"):
        lo, mean, hi, qs = extra
        length = {"min": lo, "mean": jsonable(mean), "max": hi}
        length.update({f"p{round(q * 100)}": v for q, v in zip(_QUANTILES, qs or [None] * 3)})
        out["length"] = length
    elif kind == "time":
        out.update(min=extra[0], max=extra[1])
    elif kind == "bool":
        out["true_fraction"] = jsonable(extra[0])
    return out


@dataclass(frozen=True)
class StatsPlan:
    """The aggregates of one version's statistics and how to read them back."""

    exprs: list[str]
    layout: list[tuple[Column, str, int]]  # column, kind, number of extra values

    def parse(self, rows: int, values) -> dict[str, dict]:
        out, pos = {}, 0
        for c, kind, n in self.layout:
            out[c.name] = _stats(kind, c.type, rows, values[pos], values[pos + 1],
                                 list(values[pos + 2:pos + 2 + n]))
            pos += 2 + n
        return out


def stats_plan(columns, ref: Callable[[int, Column], str],
               lengths: Callable[[int, Column], str | None] | None = None) -> StatsPlan:
    """Aggregates over ``ref(i, column)`` (a SQL expression) for every column.

    ``ref`` may stand for the column's values or for any NULL-preserving
    one-to-one image of them (a hash), as long as ``lengths(i, column)`` then
    gives its text or list lengths: counts and distinct counts need no more.
    """
    exprs, layout = [], []
    for i, c in enumerate(columns):
        q, kind = ref(i, c), kind_of(c.type)
        extra = _exprs(kind, q, lengths(i, c) if lengths else None)
        layout.append((c, kind, len(extra)))
        exprs += [_call("count", q), _call("approx_count_distinct", q)] + extra
    return StatsPlan(exprs, layout)


def column_stats(con, lo: Loaded, rows: str | None = None) -> dict[str, dict]:
    """Statistics of every column of one version, in one scan of ``rows`` (a
    FROM clause naming the version's rows ``t``; by default its view)."""
    plan = stats_plan(lo.side.columns, lambda i, c: f"t.{quote_ident(c.name)}")
    rows = rows or f"{lo.view} t"
    row = con.execute(f"SELECT {', '.join(plan.exprs)} FROM {rows}").fetchall()[0]
    return plan.parse(lo.side.rows, row)


def repeated(table: str, count: str) -> str:
    """A FROM clause for ``column_stats`` over ``table``, a version's distinct
    rows with how often each occurs in column ``count``: each row comes
    ``count`` times, so every aggregate, the approximate quantiles too (DuckDB
    has no weighted ones), sees the version's own multiset of values and
    duplicates weigh as in the file.  ``unnest`` in the select list streams; a
    lateral ``range`` would first copy the table (a delim join)."""
    n = quote_ident(count)
    return f"(SELECT * REPLACE (unnest(range({n})) AS {n}) FROM {table}) t"


# -- chat-style JSONL ----------------------------------------------------------

def is_chat(lo: Loaded) -> bool:
    """True when the version has a ``messages`` list of role/content structs."""
    for c in lo.side.columns:
        t = c.type.replace('"', "")
        if c.name == "messages" and t.startswith("STRUCT(") and t.endswith("[]") \
                and "role " in t and "content " in t:
            return True
    return False


def chat_stats(con, lo: Loaded, tokenizer: Callable[[str], int] | None) -> dict:
    """Message, token and byte totals of one version, overall and per role."""
    tokens = "__ldv_tokens(c)" if tokenizer else "len(regexp_extract_all(c, '\\S+'))"
    rows = con.execute(f"""
        SELECT r, count(*), coalesce(sum({tokens}), 0)::BIGINT,
               coalesce(sum(strlen(c)), 0)::BIGINT
        FROM (SELECT CAST(m.role AS VARCHAR) AS r, CAST(m.content AS VARCHAR) AS c
              FROM (SELECT unnest(messages) AS m FROM {lo.view}))
        GROUP BY r ORDER BY r NULLS LAST""").fetchall()
    by_role = {str(r): {"messages": m, "tokens": t, "bytes": b} for r, m, t, b in rows}
    total = {k: sum(v[k] for v in by_role.values()) for k in ("messages", "tokens", "bytes")}
    per_row = round(total["messages"] / lo.side.rows, 6) if lo.side.rows else 0.0
    return {**total, "messages_per_row": per_row, "by_role": by_role}


def load_tokenizer(spec: str | None) -> Callable[[str], int] | None:
    """The tokenizer named on the command line: None for the default
    (``whitespace``), else ``MODULE:CALLABLE``, a function of one text that
    returns its token count, imported from the Python path (its name is what
    the report shows)."""
    if spec is None or spec == "whitespace":
        return None
    module, sep, attr = spec.partition(":")
    if not sep or not module or not attr:
        raise UsageError(f"bad tokenizer {spec!r}",
                         hint="give whitespace or MODULE:FUNCTION, e.g. mytok:count_tokens")
    import importlib
    try:
        fn = getattr(importlib.import_module(module), attr)
    except (ImportError, AttributeError) as e:
        raise UsageError(f"cannot load tokenizer {spec}: {e}",
                         hint="the module must be importable (PYTHONPATH) and define it") from e
    if not callable(fn):
        raise UsageError(f"tokenizer {spec} is not callable",
                         hint="name a function that takes a text and returns an int")

    def tokenizer(text: str) -> int:
        return fn(text)
    tokenizer.name = spec
    return tokenizer


def chat_diff(con, old: Loaded, new: Loaded,
              tokenizer: Callable[[str], int] | None) -> dict | None:
    """Chat statistics of both versions and their difference, or None."""
    chat_old, chat_new = is_chat(old), is_chat(new)
    if not (chat_old or chat_new):
        return None
    if tokenizer:
        con.create_function("__ldv_tokens", lambda s: int(tokenizer(s)),
                            ["VARCHAR"], "BIGINT")
    empty = {"messages": 0, "tokens": 0, "bytes": 0, "messages_per_row": 0.0, "by_role": {}}
    a = chat_stats(con, old, tokenizer) if chat_old else empty
    b = chat_stats(con, new, tokenizer) if chat_new else empty
    name = getattr(tokenizer, "name", None) or getattr(tokenizer, "__name__", None)
    return {"tokenizer": name if tokenizer else "whitespace",
            "old": a, "new": b,
            "delta": {k: b[k] - a[k] for k in ("messages", "tokens", "bytes")}}
