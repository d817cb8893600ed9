"""Schemas of the two versions: which columns were added, removed or retyped."""
from __future__ import annotations

from dataclasses import dataclass

from .model import Column, Retyped, SchemaDiff, Side
from .values import kind_of


@dataclass(frozen=True)
class Loaded:
    """One version registered as a DuckDB view."""

    view: str
    label: str  # "old" or "new", for messages
    side: Side
    missing: bool = False  # the file does not exist in this version
    distinct_keys: int | None = None  # HyperLogLog estimate of the key's values,
    # when the row count's scan computed it (engine.load)


def compare_schemas(old: Loaded, new: Loaded) -> SchemaDiff:
    """Columns added, removed and retyped, matched by name."""
    if old.missing or new.missing:
        return SchemaDiff()  # a whole file added or deleted is not a schema change
    before = {c.name: c for c in old.side.columns}
    after = {c.name: c for c in new.side.columns}
    return SchemaDiff(
        added=tuple(c for c in new.side.columns if c.name not in before),
        removed=tuple(c for c in old.side.columns if c.name not in after),
        retyped=tuple(Retyped(c.name, c.type, after[c.name].type)
                      for c in old.side.columns
                      if c.name in after and after[c.name].type != c.type))


def common_columns(old: Loaded, new: Loaded) -> list[tuple[Column, Column]]:
    """(old, new) column pairs present in both versions, in the old order."""
    if old.missing or new.missing:
        present = new if old.missing else old
        return [(c, c) for c in present.side.columns]
    after = {c.name: c for c in new.side.columns}
    return [(c, after[c.name]) for c in old.side.columns if c.name in after]


def comparable(old: Column, new: Column) -> bool:
    """True when DuckDB compares the two columns' values without a cast.

    Numbers of different widths compare as numbers; any other retyped column is
    compared through its text form (so 1 -> "1" is unchanged, 1 -> 1.5 is not).
    """
    return old.type == new.type or kind_of(old.type) == kind_of(new.type) == "number"
