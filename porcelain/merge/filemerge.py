"""One entry point per path: pick the engine from the merge settings and run it.

``ldv merge`` materialises base, ours and theirs of a path into a private temporary
directory, looks up ``Attributes.merge_settings(path)`` and calls ``merge_file``;
the result says whether the path is clean and what to report.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from .attributes import MergeSettings
from .base import RecordMergeResult
from .recordmerge import merge_records
from .textmerge import Labels, TextMergeResult, merge_binary, merge_text


@dataclass
class FileMergeResult:
    driver: str                              # "text" | "binary" | "records"
    text: TextMergeResult | None = None
    records: RecordMergeResult | None = None

    @property
    def clean(self) -> bool:
        inner = self.text if self.text is not None else self.records
        return inner.clean


def _read(p: Path | None) -> bytes:
    return p.read_bytes() if p is not None else b""


def merge_file(settings: MergeSettings, base: Path | None, ours: Path, theirs: Path,
               out: Path, *, labels: Labels = Labels(), diff3: bool = False,
               max_conflicts: int = 1000) -> FileMergeResult:
    """Merge one path's three versions into ``out`` with the configured engine."""
    if settings.driver == "records":
        res = merge_records(base, ours, theirs, out, fmt=settings.fmt, key=settings.key,
                            max_conflicts=max_conflicts)
        return FileMergeResult("records", records=res)
    b, o, t = _read(base), _read(ours), _read(theirs)
    if settings.driver == "binary":
        text = merge_binary(b, o, t)
    else:
        text = merge_text(b, o, t, labels=labels, diff3=diff3)
    out.write_bytes(text.content)
    return FileMergeResult(settings.driver, text=text)
