"""Candidate-driven scanning: prefilter hits -> presidio on the candidates only.

A *span* is one detection inside one string (entity, start, end, score, the
recognizer); a *finding* is a span placed in a file (path, line or row, field)
with a masked preview instead of the value.  Spans carry offsets, never text.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

from ldv.plumbing.errors import BadInput

from .allowlist import Allowlist
from .registry import NER_ONLY, Engine, get_engine
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
    jobs: int | None = None                 # worker processes for big files; None: the cores
    compiled: object = None                 # registry.CompiledStore for the prefilter, if any


class Scanner:
    """Finds spans in strings; shared by scan, export and the commit gate."""

    def __init__(self, options: ScanOptions | None = None, engine: Engine | None = None):
        self.options = options or ScanOptions()
        self.engine = engine or get_engine(self.options.compiled)
        wanted = self.options.entities
        unknown = set(wanted or ()) - set(self.engine.entities)
        ner = unknown & set(NER_ONLY)
        if ner and self.engine.ner_model is None:
            raise BadInput(f"{', '.join(sorted(ner))} cannot be detected: NER needs a "
                           "spaCy model and none is installed",
                           hint="pip install en_core_web_sm (ldv never downloads one), "
                           "or leave them out of --entities / pii.entities")
        if unknown:
            raise BadInput(f"unknown entity type(s): {', '.join(sorted(unknown))}",
                           hint="known: " + ", ".join(self.engine.entities))
        self.entities = set(self.engine.entities) if wanted is None else set(wanted)
        self._ner = {e for r in self.engine.recognizers if not _prefiltered(r)
                     for e in r.supported_entities} & self.entities
        # NER has no prefilter: with a spaCy model installed every unit is a candidate.
        self.scan_all = bool(self._ner)
        self._last_text = self._last_artifacts = None
        # Spans of strings already analyzed, by a digest of the string (datasets
        # repeat strings: signatures, templates, a support address in every
        # record).  In memory only, for this scan; the key is not the string.
        self._seen: dict[bytes, tuple[Span, ...]] = {}
        self._phones = None             # phone.PhoneScan, made on first use
        # Prefilter patterns that cannot yield a finding at this threshold (every
        # result they stand for scores below it, and no context can raise it):
        # their hits make no candidate.  (The JSONL prefilter has the same ids.)
        self.quiet = frozenset() if self._context_may_raise() else frozenset(
            pid for pid, best in enumerate(self.engine.prefilter.best_score)
            if best < self.options.threshold)
        # Not scanned for at all: the database without them is built now, before
        # any worker is forked (JSONL's in prepare()).
        self.engine.prefilter_without(self.quiet, False, self.options.compiled)

    def prepare(self, jsonl: bool) -> None:
        """Build the prefilter a scan of text (or JSONL) will use, here, once."""
        self.engine.prefilter_without(self.quiet, jsonl, self.options.compiled)

    def entities_hit(self, data: bytes) -> set[str]:
        """Wanted entity types whose prefilter pattern fired somewhere in ``data``."""
        ent = self.engine.prefilter.entity_of
        # the database scanned has no quiet pattern: none of their ids comes back
        return {ent[pid] for pid, _ in self.engine.scan_bytes(data, skip=self.quiet)} \
            & self.entities

    def spans(self, text: str, entities: set[str] | None = None) -> list[Span]:
        """Spans in ``text``; ``entities``: the prefilter's hits for it, if known."""
        if entities is None:
            entities = self.entities_hit(text.encode("utf-8", "surrogatepass"))
        entities = (entities & self.entities) | self._ner
        if not entities:
            return []
        key = _digest(text, entities)
        seen = self._seen.get(key)
        if seen is not None:
            return list(seen)
        allow = self.options.allowlist
        out = [Span(r.entity_type, r.start, r.end, float(r.score),
                    (r.recognition_metadata or {}).get("recognizer_name", ""))
               for r in self._analyze(text, sorted(entities))
               if r.score >= self.options.threshold and not allow.allows(text[r.start:r.end])]
        out.sort(key=lambda s: (s.start, s.end, s.entity))
        if len(self._seen) >= SEEN_MAX:
            self._seen.clear()
        self._seen[key] = tuple(out)
        return out

    def _analyze(self, text: str, entities: list[str]):
        """presidio's AnalyzerEngine.analyze, step by step, so that the costly steps
        (tokenizing, context scoring) run only when a recognizer matched at all."""
        a = self.engine.analyzer
        recognizers = a.registry.get_recognizers(language="en", entities=entities)
        raw = []
        for r in recognizers:
            if _plain_phone(r):
                found = self._phone_scan().analyze(r, text)
            elif _prefiltered(r):
                found = r.analyze(text=text, entities=entities, nlp_artifacts=None)
            else:
                found = None
            if found is None:           # NER needs the NLP artifacts
                found = r.analyze(text=text, entities=entities,
                                  nlp_artifacts=self._artifacts(text))
            for res in found or ():
                res.recognition_metadata = res.recognition_metadata or {}
                res.recognition_metadata.setdefault("recognizer_identifier", r.id)
                res.recognition_metadata.setdefault("recognizer_name", r.name)
            raw.extend(found or ())
        if not raw:
            return []
        if not self._context_can_change(raw):
            results = raw
        else:
            results = a._enhance_using_context(text, raw, self._artifacts(text), recognizers)
        results = a._AnalyzerEngine__remove_low_scores(results, None, recognizers)
        from presidio_analyzer import EntityRecognizer
        return EntityRecognizer.remove_duplicates(results)

    def _phone_scan(self):
        if self._phones is None:
            from .phone import PhoneScan
            self._phones = PhoneScan()
        return self._phones

    def _context_can_change(self, raw) -> bool:
        """presidio's lemma enhancer only raises scores, capped at 1.0, and no
        predefined recognizer overrides enhance_using_context: when every result
        already scores 1.0 (validated: Luhn, IBAN, ...), or when the NLP pipeline
        sets no lemmas (no spaCy model), tokenizing is wasted."""
        if not self._lemma_enhancer():
            return True
        # It compares context words with lemmas: a blank pipeline sets none.
        return self.engine.context_visible and any(r.score < 1.0 for r in raw)

    def _context_may_raise(self) -> bool:
        """Whether context scoring may raise a score (see _context_can_change)."""
        return not self._lemma_enhancer() or self.engine.context_visible

    def _lemma_enhancer(self) -> bool:
        from presidio_analyzer.context_aware_enhancers import LemmaContextAwareEnhancer
        return type(self.engine.analyzer.context_aware_enhancer) is LemmaContextAwareEnhancer

    def _artifacts(self, text: str):
        if self._last_text is not text:
            self._last_text = text
            self._last_artifacts = self.engine.analyzer.nlp_engine.process_text(text, "en")
        return self._last_artifacts

    def findings(self, text: str, path: str, line: int, field_: str | None,
                 entities: set[str] | None = None) -> list[Finding]:
        return [Finding(s.entity, path, line, field_, s.start, s.end, s.score,
                        mask(text[s.start:s.end]), s.recognizer)
                for s in self.spans(text, entities)]


SEEN_MAX = 100_000


def _digest(text: str, entities: set[str]) -> bytes:
    import hashlib
    h = hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=16)
    h.update("\0".join(sorted(entities)).encode())
    return h.digest()


def _prefiltered(recognizer) -> bool:
    from presidio_analyzer import PatternRecognizer
    from presidio_analyzer.predefined_recognizers import PhoneRecognizer
    return isinstance(recognizer, (PatternRecognizer, PhoneRecognizer))


def _plain_phone(recognizer) -> bool:
    """presidio's own PhoneRecognizer (not a subclass that may analyze otherwise),
    which phone.PhoneScan answers for when the installed phonenumbers is one its
    reasoning was checked against."""
    from presidio_analyzer.predefined_recognizers import PhoneRecognizer

    from . import phone
    return type(recognizer) is PhoneRecognizer and phone.supported()


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
    if code == 0x22:
        # A quote stays escaped, as JSON writes it: a bare `":` would read as the
        # end of a key to the JSONL phone candidate (registry.JSONL_PHONE_CANDIDATE).
        return b'\\"'
    return chr(code).encode("utf-8", "surrogatepass")


def hit_lines(scanner: Scanner, block: bytes, jsonl: bool = False,
              sep: bytes = b"\n") -> dict[int, set[str]]:
    """0-based line index in ``block`` -> wanted entities whose prefilter fired.
    ``jsonl``: ignore hits inside `"key": number` (ids and counts are not strings).
    ``sep``: the unit separator (a match may end just past it: see PHONE_CANDIDATE)."""
    return {i: ents for i, (_, ents) in hit_line_starts(scanner, block, jsonl, sep).items()}


def hit_line_starts(scanner: Scanner, block: bytes, jsonl: bool = False,
                    sep: bytes = b"\n") -> dict[int, tuple[int, set[str]]]:
    """Like `hit_lines`, with the offset where each line starts."""
    from .registry import inside_json_number
    pre = scanner.engine.prefilter
    ent, phone, wanted = pre.entity_of, pre.phone_ids, scanner.entities
    by_start: dict[int, set[str]] = {}
    for pid, end in scanner.engine.scan_bytes(block, jsonl, scanner.quiet):
        e = ent[pid]
        if e not in wanted:     # (quiet patterns are not in the database scanned)
            continue
        # (the JSONL phone candidate does not fire on numbers in the first place)
        if jsonl and pid not in phone and inside_json_number(block, end):
            continue
        # A match ends inside its line: the line starts after the last newline.
        by_start.setdefault(block.rfind(sep, 0, max(end - 1, 0)) + 1, set()).add(e)
    out, line, pos = {}, 0, 0
    for start in sorted(by_start):
        line += block.count(sep, pos, start)
        pos = start
        out[line] = (start, by_start[start])
    return out


def hit_values(scanner: Scanner, values: list[str]) -> dict[int, set[str]]:
    """Index into ``values`` -> wanted entities whose prefilter fired (one scan).
    Values are joined with NUL, which no pattern can take for part of a value; a
    newline inside a value becomes a space (a phone run may cross it)."""
    joined = "\0".join(v.replace("\0", " ").replace("\n", " ") for v in values)
    return hit_lines(scanner, joined.encode("utf-8", "surrogatepass"), sep=b"\0")
