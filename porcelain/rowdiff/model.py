"""The results of a row diff, as plain dataclasses.

Glossary:
  added / removed   rows only in the new / only in the old version
  modified          rows whose key is in both versions but whose values differ
                    (keyed diffs only; without a key a changed row is one removed
                    plus one added)
  unchanged         rows present, equal, in both versions
  schema change     a column added, removed or retyped between the versions
  drift             per-column statistics of each version, side by side

``to_dict`` gives the stable JSON document (docs/ROWDIFF.md, schema_version 1).
"""
from __future__ import annotations

from dataclasses import dataclass, field

SCHEMA_VERSION = 1


@dataclass(frozen=True)
class Column:
    name: str
    type: str

    def to_dict(self) -> dict:
        return {"name": self.name, "type": self.type}


@dataclass(frozen=True)
class Side:
    """One version of the file: where it came from, its shape."""

    path: str
    format: str
    rows: int
    columns: tuple[Column, ...]

    def to_dict(self) -> dict:
        return {"path": self.path, "format": self.format, "rows": self.rows,
                "columns": [c.to_dict() for c in self.columns]}


@dataclass(frozen=True)
class Retyped:
    name: str
    old: str
    new: str

    def to_dict(self) -> dict:
        return {"name": self.name, "old": self.old, "new": self.new}


@dataclass(frozen=True)
class SchemaDiff:
    added: tuple[Column, ...] = ()
    removed: tuple[Column, ...] = ()
    retyped: tuple[Retyped, ...] = ()

    @property
    def changed(self) -> bool:
        return bool(self.added or self.removed or self.retyped)

    def to_dict(self) -> dict:
        return {"added": [c.to_dict() for c in self.added],
                "removed": [c.to_dict() for c in self.removed],
                "retyped": [r.to_dict() for r in self.retyped]}


@dataclass(frozen=True)
class Counts:
    added: int = 0
    removed: int = 0
    modified: int = 0
    unchanged: int = 0

    @property
    def changed(self) -> int:
        return self.added + self.removed + self.modified

    def __add__(self, other: "Counts") -> "Counts":
        return Counts(self.added + other.added, self.removed + other.removed,
                      self.modified + other.modified, self.unchanged + other.unchanged)

    def to_dict(self) -> dict:
        return {"added": self.added, "removed": self.removed,
                "modified": self.modified, "unchanged": self.unchanged}


@dataclass(frozen=True)
class Sample:
    """A few rows of each kind, in key order (or value order without a key).

    ``added``/``removed`` entries are ``{"row": {column: value}, "count": k}``
    (k is 1 with a key; without one, how many more copies one version has);
    ``modified`` entries are ``{"key": {...}, "changes": {column: {"old": v,
    "new": v}}}`` listing only the columns that changed.
    """

    added: tuple[dict, ...] = ()
    removed: tuple[dict, ...] = ()
    modified: tuple[dict, ...] = ()

    def to_dict(self) -> dict:
        return {"added": list(self.added), "removed": list(self.removed),
                "modified": list(self.modified)}


@dataclass(frozen=True)
class RowDiff:
    """What changed between two versions of one tabular file."""

    old: Side
    new: Side
    key: tuple[str, ...] | None
    counts: Counts
    columns_changed: dict[str, int]
    schema: SchemaDiff
    sample: Sample
    drift: dict[str, dict] = field(default_factory=dict)
    chat: dict | None = None

    @property
    def changed(self) -> bool:
        return bool(self.counts.changed) or self.schema.changed

    @property
    def old_rows(self) -> int:
        return self.old.rows

    @property
    def schema_changed(self) -> bool:
        return self.schema.changed

    def to_dict(self) -> dict:
        return {
            "schema_version": SCHEMA_VERSION,
            "old": self.old.to_dict(),
            "new": self.new.to_dict(),
            "match": "key" if self.key else "row",
            "key": list(self.key) if self.key else None,
            "changed": self.changed,
            "counts": self.counts.to_dict(),
            "columns_changed": dict(self.columns_changed),
            "schema": self.schema.to_dict(),
            "sample": self.sample.to_dict(),
            "drift": self.drift,
            "chat": self.chat,
        }
