"""Candidate-driven scanning: prefilter hits -> presidio on the candidates only.

A *span* is one detection inside one string (entity, start, end, score, the
recognizer); a *finding* is a span placed in a file (path, line or row, field)
with a masked preview instead of the value.  Spans carry offsets, never text.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

from .allowlist import Allowlist
from .registry import Engine, get_engine
from .report import mask


@dataclass(frozen=True)
class Span:
    entity: str
    start: int
    end: int
    score: float
    recognizer: str


@dataclass(frozen=True)
class Finding:
    entity: str
    path: str
    line: int                       # 1-based line (text, JSONL) or data row (CSV, Parquet)
    field: str | None               # JSON path or column; None for plain text
    start: int                      # character offsets inside the line / field value
    end: int
    score: float
    preview: str                    # masked: never the value itself
    recognizer: str

    def to_json(self) -> dict:
        return {"entity": self.entity, "path": self.path, "line": self.line,
                "field": self.field, "start": self.start, "end": self.end,
                "score": round(self.score, 4), "preview": self.preview,
                "recognizer": self.recognizer}


@dataclass
class ScanOptions:
    entities: set[str] | None = None        # None: every entity the engine knows
    threshold: float = 0.4
    allowlist: Allowlist = field(default_factory=Allowlist)


class Scanner:
    """Finds spans in strings; shared by scan, export and the commit gate."""

    def __init__(self, options: ScanOptions | None = None, engine: Engine | None = None):
        self.options = options or ScanOptions()
        self.engine = engine or get_engine()
        wanted = self.options.entities
        self.entities = set(self.engine.entities) if wanted is None \
            else set(wanted) & set(self.engine.entities)
        self._ner = {e for r in self.engine.recognizers if not _prefiltered(r)
                     for e in r.supported_entities} & self.entities
        # NER has no prefilter: with a spaCy model installed every unit is a candidate.
        self.scan_all = bool(self._ner)

    def entities_hit(self, data: bytes) -> set[str]:
        """Wanted entity types whose prefilter pattern fired somewhere in ``data``."""
        ent = self.engine.prefilter.entity_of
        return {ent[pid] for pid, _ in self.engine.scan_bytes(data)} & self.entities

    def spans(self, text: str, entities: set[str] | None = None) -> list[Span]:
        """Spans in ``text``; ``entities``: the prefilter's hits for it, if known."""
        if entities is None:
            entities = self.entities_hit(text.encode("utf-8", "surrogatepass"))
        entities = (entities & self.entities) | self._ner
        if not entities or not self._quick_check(text, entities):
            return []
        results = self.engine.analyzer.analyze(text=text, language="en",
                                               entities=sorted(entities))
        allow = self.options.allowlist
        out = [Span(r.entity_type, r.start, r.end, float(r.score),
                    (r.recognition_metadata or {}).get("recognizer_name", ""))
               for r in results
               if r.score >= self.options.threshold and not allow.allows(text[r.start:r.end])]
        return sorted(out, key=lambda s: (s.start, s.end, s.entity))

    def _quick_check(self, text: str, entities: set[str]) -> bool:
        """Does any recognizer of ``entities`` match at all?  Cheaper than the
        analyzer (no tokenization, no context); context only ever raises scores."""
        if self._ner & entities:
            return True
        return any(r.analyze(text=text, entities=sorted(entities), nlp_artifacts=None)
                   for r in self.engine.recognizers
                   if entities.intersection(r.supported_entities))

    def findings(self, text: str, path: str, line: int, field_: str | None,
                 entities: set[str] | None = None) -> list[Finding]:
        return [Finding(s.entity, path, line, field_, s.start, s.end, s.score,
                        mask(text[s.start:s.end]), s.recognizer)
                for s in self.spans(text, entities)]


def _prefiltered(recognizer) -> bool:
    from presidio_analyzer import PatternRecognizer
    from presidio_analyzer.predefined_recognizers import PhoneRecognizer
    return isinstance(recognizer, (PatternRecognizer, PhoneRecognizer))


# -- big buffers ----------------------------------------------------------------

_JSON_ESCAPES = ((b"\\n", b" "), (b"\\t", b" "), (b"\\r", b" "), (b"\\/", b"/"),
                 (b"\\b", b" "), (b"\\f", b" "))
_UESC = re.compile(rb"\\u([0-9a-fA-F]{4})")


def unescape_for_prefilter(block: bytes) -> bytes:
    """Make JSON string escapes look like what they decode to, without changing the
    number of newlines, so the prefilter sees `call\\n555...` as `call 555...`."""
    if b"\\" not in block:
        return block
    for esc, rep in _JSON_ESCAPES:
        block = block.replace(esc, rep)
    if b"\\u" in block:
        block = _UESC.sub(lambda m: _uchar(int(m.group(1), 16)), block)
    return block


def _uchar(code: int) -> bytes:
    if code in (10, 13):
        return b" "
    return chr(code).encode("utf-8", "surrogatepass")


def hit_lines(scanner: Scanner, block: bytes) -> dict[int, set[str]]:
    """0-based line index in ``block`` -> wanted entities whose prefilter fired."""
    import numpy as np
    hits = scanner.engine.scan_bytes(block)
    if not hits:
        return {}
    newlines = np.flatnonzero(np.frombuffer(block, dtype=np.uint8) == 10)
    ent = scanner.engine.prefilter.entity_of
    ends = np.fromiter((end for _, end in hits), dtype=np.int64, count=len(hits))
    lines = np.searchsorted(newlines, ends - 1)
    out: dict[int, set[str]] = {}
    for (pid, _), ln in zip(hits, lines.tolist()):
        e = ent[pid]
        if e in scanner.entities:
            out.setdefault(ln, set()).add(e)
    return out


def hit_values(scanner: Scanner, values: list[str]) -> dict[int, set[str]]:
    """Index into ``values`` -> wanted entities whose prefilter fired (one scan)."""
    joined = "\n".join(v.replace("\n", " ") for v in values)
    hits = hit_lines(scanner, joined.encode("utf-8", "surrogatepass"))
    return hits
