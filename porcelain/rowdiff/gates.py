"""Diff gates: ``--fail-on`` expressions a CI job uses to refuse a change.

Grammar (one gate per expression; several may be joined with commas)::

    gate    := "schema" | metric op number ["%"]
    metric  := added | removed | modified | unchanged | changed
    op      := ">" | ">=" | "<" | "<=" | "==" | "!="

A percentage is relative to the old version's row count (the total over all
files for a tree diff); when the old version has no rows, any non-zero count is
100%.  ``schema`` trips on any added, removed or retyped column.
"""
from __future__ import annotations

import operator
import re
from dataclasses import dataclass
from typing import Iterable

from ldv.plumbing.errors import UsageError

METRICS = ("added", "removed", "modified", "unchanged", "changed")
_OPS = {">": operator.gt, ">=": operator.ge, "<": operator.lt, "<=": operator.le,
        "==": operator.eq, "!=": operator.ne}
_GATE_RE = re.compile(r"\s*([a-z]+)\s*(>=|<=|==|!=|>|<)\s*(\d+(?:\.\d+)?)\s*(%?)\s*\Z")


@dataclass(frozen=True)
class Gate:
    """One parsed gate; ``metric == "schema"`` has no op or value."""

    metric: str
    op: str = ""
    value: float = 0.0
    percent: bool = False

    def __str__(self) -> str:
        if self.metric == "schema":
            return "schema"
        value = f"{self.value:g}" + ("%" if self.percent else "")
        return f"{self.metric}{self.op}{value}"


def parse_gates(exprs: Iterable[str]) -> list[Gate]:
    """Parse ``--fail-on`` values; raise UsageError on a malformed one."""
    gates = []
    for expr in exprs:
        for part in expr.split(","):
            if part.strip():
                gates.append(_parse_one(part))
    return gates


def _parse_one(text: str) -> Gate:
    if text.strip() == "schema":
        return Gate("schema")
    m = _GATE_RE.match(text)
    if not m or m.group(1) not in METRICS:
        raise UsageError(f"bad --fail-on gate {text.strip()!r}",
                         hint="write e.g. 'removed>1%', 'modified>1000' or 'schema'; "
                              "metrics: " + ", ".join(METRICS))
    return Gate(m.group(1), m.group(2), float(m.group(3)), bool(m.group(4)))


def _basis(diff) -> tuple[dict, int, bool]:
    """(counts by metric, old row count, schema changed) of a RowDiff or TreeRowDiff."""
    c = diff.counts
    counts = {"added": c.added, "removed": c.removed, "modified": c.modified,
              "unchanged": c.unchanged, "changed": c.changed}
    return counts, diff.old_rows, diff.schema_changed


def evaluate_gates(gates: Iterable[Gate], diff) -> list[str]:
    """The reasons of every gate that trips, in order; empty when all pass."""
    counts, old_rows, schema_changed = _basis(diff)
    reasons = []
    for g in gates:
        if g.metric == "schema":
            if schema_changed:
                reasons.append("schema: the schema changed")
            continue
        n = counts[g.metric]
        if g.percent:
            actual = 100.0 * n / old_rows if old_rows else (100.0 if n else 0.0)
            if _OPS[g.op](actual, g.value):
                reasons.append(f"{g}: {g.metric} is {actual:.2f}% ({n} of {old_rows} rows)")
        elif _OPS[g.op](n, g.value):
            reasons.append(f"{g}: {g.metric} is {n}")
    return reasons
