"""The detection engine: presidio's recognizer registry plus a fast first pass.

Glossary
  recognizer   one of presidio's predefined recognizers (EmailRecognizer, ...)
  prefilter    one hyperscan database compiled, at run time, from the regexes of
               every predefined PatternRecognizer (HS_FLAG_PREFILTER: hyperscan
               matches a superset of each regex, lookarounds approximated), plus a
               candidate pattern for the recognizers that are not regex based
               (PhoneRecognizer: phonenumbers' matcher).  A pattern every match of
               which contains a match of another pattern of the same recognizer
               (presidio's quoted and schema URLs contain its bare URL) is covered
               by that one and not compiled; a JSONL variant of the database does
               not fire on digits after a `"key":` (ids, counts)
  candidate    a field or line where the prefilter fired; only candidates are
               handed to presidio's AnalyzerEngine (validators, context scoring)

Offline by construction: the NLP engine is a blank spaCy pipeline (a spaCy model is
used for NER only when one is installed; never downloaded) and tldextract is
pointed at its bundled suffix-list snapshot.
"""
from __future__ import annotations

import json
import logging
import threading
from dataclasses import dataclass, field
from typing import Protocol

from .regexes import anchor, covering

# Digits with phone punctuation between them, at least four characters long, up to
# the first character that cannot be part of a phone number: a superset of what
# phonenumbers' matcher accepts as a VALID number in presidio's regions (the
# shortest seen are German numbers such as `1-682`).  Compiled exactly, not as a
# prefilter, and reported once per run of digits rather than once per digit.  A
# newline (the unit separator) always ends a run, so a hit lands in its own line;
# non-ASCII bytes (no-break spaces...) may sit inside a run.
_PHONE_CHARS = r"\d\t\x0b\x0c\r ().\-/\[\]~+\x80-\xff"
PHONE_CANDIDATE = rf"\d[{_PHONE_CHARS}]{{2,}}\d[{_PHONE_CHARS}]*(?:[^{_PHONE_CHARS}]|\z)"
# The JSONL variant: the same runs, except one right after a `"key":` that ends
# like a JSON number (`,`, `}` or `]` next): ids and counts, which JSONL scanning
# skips anyway.  Quotes inside JSON strings are escaped (`\"`), so `":` with a bare
# quote ends a key, never string content, and a string value starts with a quote,
# which is not a phone character.  A run is matched only from its first character
# (the one before is not a phone character), never from its middle.  A run after a
# key that does not end like a number still fires: the line may not be JSON, and
# is then scanned as text.
_PC = _PHONE_CHARS
_PHONE_RUN = rf"\d[{_PC}]{{2,}}\d[{_PC}]*"
JSONL_PHONE_CANDIDATE = (
    rf'(?:\A|\A:|[^{_PC}:]|[^"]:|\\":)[{_PC}]*{_PHONE_RUN}(?:[^{_PC}]|\z)'
    rf'|":[{_PC}]*{_PHONE_RUN}(?:[^{_PC},}}\]]|\z)')
# A JSON key and the number after it (`"id": 12345`): outside every string value, so
# a prefilter hit that ends inside it cannot be PII in a string field.  Quotes inside
# JSON strings are escaped, so `"key": 123` with bare quotes is never string content.
JSON_KEY_NUMBER = rb'"[A-Za-z_][A-Za-z0-9_]{0,63}":\s?-?\d+[,}\]]'
NER_MODELS = ("en_core_web_lg", "en_core_web_md", "en_core_web_sm", "en_core_web_trf")
_lock = threading.Lock()
_engine: "Engine | None" = None


@dataclass
class Prefilter:
    """Which pattern id stands for which recognizer and entity."""

    _db: object                     # the hyperscan database, or None until first use
    entity_of: list[str]            # pattern id -> entity type
    recognizer_of: list[str]        # pattern id -> recognizer class name
    covered: dict[str, list[str]] = field(default_factory=dict)  # recognizer -> pattern names
    covered_by: dict[str, str] = field(default_factory=dict)     # pattern -> the one compiled
    anchors: dict[str, str] = field(default_factory=dict)        # pattern -> expression compiled
    phone_ids: frozenset = frozenset()                           # the phone candidate's id
    # pattern id -> the highest score a result it stands for can get, before
    # context scoring (see `best_score`)
    best_score: list[float] = field(default_factory=list)
    _compile: object = None         # builds _db on first use (build_prefilter(lazy=True))

    @property
    def database(self):
        if self._db is None:
            with _lock_db:
                if self._db is None:
                    self._db = self._compile()
        return self._db


_lock_db = threading.Lock()


@dataclass
class Engine:
    analyzer: object                # presidio AnalyzerEngine
    prefilter: Prefilter
    ner_model: str | None           # the installed spaCy model used for NER, if any
    entities: list[str]             # every entity type this engine can report
    recognizers: list[object]
    # False when the NLP pipeline sets no lemmas (a blank one): presidio's context
    # enhancer compares context words with lemmas, so it can never raise a score.
    context_visible: bool = True
    _jsonl: Prefilter | None = None
    # (jsonl, pattern ids left out) -> a prefilter without them (same ids)
    _without: dict = field(default_factory=dict)

    def notes(self) -> list[str]:
        return notes(self.ner_model)

    def jsonl_prefilter(self, compiled: "CompiledStore | None" = None) -> Prefilter:
        """The prefilter for raw JSONL (JSONL_PHONE_CANDIDATE), built on first use
        (``compiled``: where a compiled form may be kept)."""
        with _lock_jsonl:
            if self._jsonl is None:
                self._jsonl = build_prefilter(self.recognizers, jsonl=True, compiled=compiled)
            return self._jsonl

    def prefilter_without(self, skip: frozenset, jsonl: bool = False,
                          compiled: "CompiledStore | None" = None) -> Prefilter:
        """The (JSONL) prefilter less the patterns ``skip`` (ids kept as they are),
        built on first use: a scan whose threshold no result of theirs can reach
        (Scanner.quiet) does not pay for scanning them."""
        if not skip:
            pre = self.jsonl_prefilter(compiled) if jsonl else self.prefilter
            pre.database                # built here, not in each forked worker
            return pre
        with _lock_jsonl:
            pre = self._without.get((jsonl, skip))
            if pre is None:
                pre = self._without[(jsonl, skip)] = build_prefilter(
                    self.recognizers, jsonl=jsonl, compiled=compiled, skip=skip)
            return pre

    def scan_bytes(self, data: bytes, jsonl: bool = False,
                   skip: frozenset = frozenset()) -> list[tuple[int, int]]:
        """(pattern id, end offset) of every prefilter hit in ``data``; ``jsonl``:
        with the JSONL prefilter (same pattern ids); ``skip``: less those patterns."""
        hits: list[tuple[int, int]] = []

        def on_match(pid, _start, end, _flags, _ctx):
            hits.append((pid, end))
        if data:
            db = self.prefilter_without(skip, jsonl).database
            db.scan(data, match_event_handler=on_match, scratch=_scratch(db))
        return hits


_lock_jsonl = threading.Lock()
_KEY_NUMBER = None


def inside_json_number(block: bytes, end: int) -> bool:
    """Whether a match ending at ``end`` ends inside a `"key": number` of raw JSON
    (looked for from 200 bytes before it to 64 after: a longer number is not
    recognized, and the hit is kept)."""
    global _KEY_NUMBER
    if _KEY_NUMBER is None:
        import re
        _KEY_NUMBER = re.compile(JSON_KEY_NUMBER)
    lo = max(0, end - 200)
    return any(m.start() < end <= m.end()
               for m in _KEY_NUMBER.finditer(block, lo, end + 64))


_scratches = threading.local()


def _scratch(db):
    """One hyperscan scratch space per thread and database (not thread-safe)."""
    import hyperscan
    cache = _scratches.__dict__.setdefault("by_db", {})
    held = cache.get(id(db))
    if held is None or held[0] is not db:
        held = cache[id(db)] = (db, hyperscan.Scratch(db))
    return held[1]


def installed_ner_model() -> str | None:
    """The spaCy model NER would use, found without importing spaCy."""
    from importlib.util import find_spec
    return next((m for m in NER_MODELS if find_spec(m) is not None), None)


# What presidio finds only with NER (a spaCy model); DATE_TIME has regexes too.
NER_ONLY = ("PERSON", "LOCATION", "NRP", "ORGANIZATION")


def notes(model: str | None) -> list[str]:
    """What the user must know about the engine's reach."""
    if model:
        return [f"NER entities from spaCy model {model} (slow: every field is analyzed)"]
    return [NO_MODEL]


NO_MODEL = ("names, places and organizations (PERSON, LOCATION, NRP, ORGANIZATION) "
            "were NOT looked for: they need a spaCy model for NER and none is "
            "installed (ldv never downloads one; `pip install en_core_web_sm` "
            "enables them)")


def get_engine(compiled=None) -> Engine:
    """The process-wide engine (building it costs a few seconds: presidio imports).
    ``compiled``: a CompiledStore that keeps the compiled hyperscan databases."""
    global _engine
    with _lock:
        if _engine is None:
            _engine = build_engine(compiled)
        return _engine


class CompiledStore(Protocol):
    """Where compiled prefilter databases are kept between runs (get/put by name)."""

    def get(self, name: str) -> bytes | None: ...

    def put(self, name: str, data: bytes) -> None: ...


def build_engine(compiled: CompiledStore | None = None) -> Engine:
    _quiet_presidio()
    _offline_tldextract()
    from presidio_analyzer import AnalyzerEngine, RecognizerRegistry
    nlp, model = _nlp_engine()
    registry = RecognizerRegistry(supported_languages=["en"])
    registry.load_predefined_recognizers(nlp_engine=nlp, languages=["en"])
    recognizers = [r for r in registry.recognizers if _usable(r, model)]
    registry.recognizers = recognizers
    analyzer = AnalyzerEngine(registry=registry, nlp_engine=nlp,
                              supported_languages=["en"])
    prefilter = build_prefilter(recognizers, compiled=compiled, lazy=True)
    entities = sorted({e for r in recognizers for e in r.supported_entities})
    # spaCy v3 sets lemmas in pipeline components only (the tokenizer sets ORTH and
    # NORM): a pipeline without components has none.
    visible = bool(nlp.nlp["en"].pipe_names)
    return Engine(analyzer, prefilter, model, entities, recognizers, visible)


def _usable(recognizer, model) -> bool:
    """NER recognizers only with a real spaCy model; the rest always."""
    from presidio_analyzer.predefined_recognizers import SpacyRecognizer
    return model is not None or not isinstance(recognizer, SpacyRecognizer)


def build_prefilter(recognizers, jsonl: bool = False,
                    compiled: CompiledStore | None = None,
                    skip: frozenset = frozenset(), lazy: bool = False) -> Prefilter:
    """Compile the patterns of every regex recognizer (less those covered by
    another, see `covering`) and the phone candidate into one hyperscan database
    (less the pattern ids ``skip``; ids are the same either way).  ``lazy``: on
    first use of `Prefilter.database` (a scan at the default threshold uses
    the database without its quiet patterns, not this one)."""
    import hyperscan
    from presidio_analyzer import PatternRecognizer
    from presidio_analyzer.predefined_recognizers import PhoneRecognizer
    exprs, modes, entity_of, recognizer_of, best = [], [], [], [], []
    covered, covered_by, anchors, phone = {}, {}, {}, set()
    for r in recognizers:
        name = type(r).__name__
        if isinstance(r, PatternRecognizer):
            by = covering(r.patterns)
            covered_by.update({p: q for p, q in by.items() if p != q})
            pats = []
            for p in r.patterns:
                if by[p.name] != p.name:
                    continue
                a = anchor(p.regex)
                if a is not None:
                    anchors[p.name] = a
                pats.append((p.name, a or p.regex, 0 if a else hyperscan.HS_FLAG_PREFILTER,
                             best_score(r, [q for q in r.patterns if by[q.name] == p.name])))
            covered[name] = [p.name for p in r.patterns]
        elif isinstance(r, PhoneRecognizer):
            pats = [("phone candidate", JSONL_PHONE_CANDIDATE if jsonl else PHONE_CANDIDATE, 0,
                     1.0)]
            covered[name] = ["phone candidate"]
            phone.add(len(exprs))
        else:
            continue                # NER: runs on every field, not prefiltered
        for _, regex, mode, score in pats:
            exprs.append(regex.encode())
            modes.append(mode)
            entity_of.append(r.supported_entities[0])
            recognizer_of.append(name)
            best.append(score)
    # presidio compiles with IGNORECASE | MULTILINE | DOTALL: the same here.
    flags = hyperscan.HS_FLAG_CASELESS | hyperscan.HS_FLAG_DOTALL | hyperscan.HS_FLAG_MULTILINE
    keep = [i for i in range(len(exprs)) if i not in skip]

    def build():
        return compile_database([exprs[i] for i in keep], [flags | modes[i] for i in keep],
                                compiled, ids=keep)
    return Prefilter(None if lazy else build(), entity_of, recognizer_of, covered,
                     covered_by, anchors, frozenset(phone), best, build)


def best_score(recognizer, patterns) -> float:
    """The highest score presidio's PatternRecognizer gives a match of one of
    ``patterns``, before context scoring: the pattern's own score, unless the
    recognizer validates matches (a valid one scores 1.0), or analyzes or scores
    context in its own way; invalidation only lowers a score.  A pattern whose
    best is under the scan's threshold cannot yield a finding, so its hits are
    not candidates."""
    from presidio_analyzer import PatternRecognizer
    own = type(recognizer)
    if any(getattr(own, m) is not getattr(PatternRecognizer, m)
           for m in ("analyze", "validate_result", "enhance_using_context")):
        return 1.0
    return max((p.score for p in patterns), default=1.0)


def compile_database(exprs: list[bytes], flags: list[int], compiled=None, ids=None):
    """A hyperscan block-mode database of ``exprs`` (ids 0..n-1, or ``ids``).  With a store,
    the compiled form is kept under a digest of the expressions, flags, hyperscan
    version and machine, and loaded next time (~1 ms instead of ~1 s); a stored
    database that does not load, or no longer fits this CPU, is compiled again."""
    import hyperscan
    name = None
    if compiled is not None:
        import hashlib
        import platform
        from importlib.metadata import version
        desc = json.dumps([version("hyperscan"), platform.machine(),
                           [e.decode("latin-1") for e in exprs], flags]
                          + ([] if ids is None else [ids]))
        name = "pii/hs/" + hashlib.sha256(desc.encode()).hexdigest()[:32]
        raw = compiled.get(name)
        if raw is not None:
            try:
                db = hyperscan.loadb(raw, hyperscan.HS_MODE_BLOCK)
                hyperscan.Scratch(db)           # refuses a database built for another CPU
                return db
            except hyperscan.error:
                pass
    db = hyperscan.Database()
    db.compile(expressions=exprs, ids=list(range(len(exprs))) if ids is None else ids,
               elements=len(exprs), flags=flags)
    if name is not None:
        try:
            compiled.put(name, hyperscan.dumpb(db))
        except OSError:
            pass                    # only a cache: a read-only repository still scans
    return db


def _nlp_engine():
    """presidio's spaCy NLP engine on an installed model, or on a blank pipeline."""
    import spacy
    from presidio_analyzer.nlp_engine import SpacyNlpEngine
    model = next((m for m in NER_MODELS if spacy.util.is_package(m)), None)
    engine = SpacyNlpEngine(models=[{"lang_code": "en", "model_name": model or "blank"}])
    # Set the pipeline ourselves: SpacyNlpEngine.load() would download a missing model.
    engine.nlp = {"en": spacy.load(model) if model else spacy.blank("en")}
    return engine, model


def _offline_tldextract() -> None:
    """EmailRecognizer calls tldextract.extract, which by default fetches the public
    suffix list over the network; use the snapshot shipped in the package."""
    import tldextract
    if not getattr(tldextract.extract, "_ldv_offline", False):
        offline = tldextract.TLDExtract(suffix_list_urls=(), cache_dir=None,
                                        fallback_to_snapshot=True)
        offline._ldv_offline = True
        tldextract.extract = offline


def _quiet_presidio() -> None:
    # presidio logs at WARNING for configuration chatter; nothing it logs is ours
    # to show, and a log line must never carry a matched value.
    for name in ("presidio-analyzer", "presidio_analyzer"):
        logging.getLogger(name).setLevel(logging.ERROR)
