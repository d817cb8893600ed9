"""Result types of the merge engines, shaped for ``ldv merge`` to print.

Glossary: *base* is the merge base's version of a file, *ours* the current branch's,
*theirs* the one being merged in.  A *record* is one JSONL line, one CSV row (which
may span lines when quoted) or one Parquet row.  A *key* is the configured record
identity (one or more fields); without one, a record is identified by its position
in the aligned sequence of records (see docs/MERGE.md).
"""
from __future__ import annotations

from dataclasses import dataclass, field

FORMATS = ("jsonl", "csv", "parquet")

# Conflict kinds; the first word is what ours did, the second what theirs did.
MODIFY_MODIFY = "modify/modify"
MODIFY_DELETE = "modify/delete"
DELETE_MODIFY = "delete/modify"
ADD_ADD = "add/add"
SCHEMA = "schema"


@dataclass(frozen=True)
class RecordConflict:
    """One conflicted record (or run of records without a key, or the schema).

    ``key`` is printable: ``id=7``, ``(a=1, b="x")``, ``@12-14`` (records 12 to 14
    of base, no-key mode) or ``<schema>``.  The sides hold the raw bytes of the
    record(s) (JSONL, CSV) or their JSON rendering (Parquet); None means absent.
    """

    key: str
    kind: str
    base: bytes | None
    ours: bytes | None
    theirs: bytes | None


@dataclass
class MergeStats:
    """Counts of records; ``from_*`` are records the merge took from that side."""

    base: int = 0
    ours: int = 0
    theirs: int = 0
    out: int = 0
    unchanged: int = 0
    changed_ours: int = 0
    changed_theirs: int = 0
    added_ours: int = 0
    added_theirs: int = 0
    deleted_ours: int = 0
    deleted_theirs: int = 0
    conflicts: int = 0


@dataclass
class RecordMergeResult:
    """What a record merge did.

    ``conflicts`` holds at most ``max_conflicts`` details; ``stats.conflicts`` is the
    exact count.  The output file always exists and is valid in its format: a
    conflicted record is written as ours has it (absent if ours deleted it), so the
    file equals what ``--ours`` would resolve to, and the conflicts say what to check.
    """

    fmt: str
    key: tuple[str, ...] | None
    conflicts: list[RecordConflict] = field(default_factory=list)
    stats: MergeStats = field(default_factory=MergeStats)
    fast_path: str | None = None    # "ours", "theirs" when one side was taken whole

    @property
    def clean(self) -> bool:
        return self.stats.conflicts == 0

    @property
    def keys(self) -> list[str]:
        return [c.key for c in self.conflicts]

    @property
    def truncated(self) -> bool:
        return self.stats.conflicts > len(self.conflicts)
