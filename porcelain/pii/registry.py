"""The detection engine: presidio's recognizer registry plus a fast first pass.

Glossary
  recognizer   one of presidio's predefined recognizers (EmailRecognizer, ...)
  prefilter    one hyperscan database compiled, at run time, from the regexes of
               every predefined PatternRecognizer (HS_FLAG_PREFILTER: hyperscan
               matches a superset of each regex, lookarounds approximated), plus a
               candidate pattern for the recognizers that are not regex based
               (PhoneRecognizer: phonenumbers' matcher)
  candidate    a field or line where the prefilter fired; only candidates are
               handed to presidio's AnalyzerEngine (validators, context scoring)

Offline by construction: the NLP engine is a blank spaCy pipeline (a spaCy model is
used for NER only when one is installed; never downloaded) and tldextract is
pointed at its bundled suffix-list snapshot.
"""
from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field

# Digits with phone punctuation between them, at least four characters long, up to
# the first character that cannot be part of a phone number: a superset of what
# phonenumbers' matcher accepts as a VALID number in presidio's regions (the
# shortest seen are German numbers such as `1-682`).  Compiled exactly, not as a
# prefilter, and reported once per run of digits rather than once per digit.  A
# newline (the unit separator) always ends a run, so a hit lands in its own line;
# non-ASCII bytes (no-break spaces...) may sit inside a run.
_PHONE_CHARS = r"\d\t\x0b\x0c\r ().\-/\[\]~+\x80-\xff"
PHONE_CANDIDATE = rf"\d[{_PHONE_CHARS}]{{2,}}\d[{_PHONE_CHARS}]*(?:[^{_PHONE_CHARS}]|\z)"
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

    database: object
    entity_of: list[str]            # pattern id -> entity type
    recognizer_of: list[str]        # pattern id -> recognizer class name
    covered: dict[str, list[str]] = field(default_factory=dict)  # recognizer -> pattern names


@dataclass
class Engine:
    analyzer: object                # presidio AnalyzerEngine
    prefilter: Prefilter
    ner_model: str | None           # the installed spaCy model used for NER, if any
    entities: list[str]             # every entity type this engine can report
    recognizers: list[object]
    numbers: object = None          # hyperscan database of JSON_KEY_NUMBER

    def notes(self) -> list[str]:
        return notes(self.ner_model)

    def scan_bytes(self, data: bytes) -> list[tuple[int, int]]:
        """(pattern id, end offset) of every prefilter hit in ``data``."""
        hits: list[tuple[int, int]] = []

        def on_match(pid, _start, end, _flags, _ctx):
            hits.append((pid, end))
        if data:
            self.prefilter.database.scan(data, match_event_handler=on_match,
                                         scratch=_scratch(self.prefilter.database))
        return hits

    def json_number_spans(self, data: bytes) -> list[tuple[int, int]]:
        """(start, end) of every `"key": number` in raw JSON, in order."""
        spans: list[tuple[int, int]] = []

        def on_match(_pid, start, end, _flags, _ctx):
            spans.append((start, end))
        if data:
            self.numbers.scan(data, match_event_handler=on_match,
                              scratch=_scratch(self.numbers, "numbers"))
        return spans


_scratches = threading.local()


def _scratch(db, slot: str = "patterns"):
    """One hyperscan scratch space per thread and database (not thread-safe)."""
    import hyperscan
    cache = _scratches.__dict__.setdefault(slot, {})
    if cache.get("db") is not db:
        cache["db"], cache["s"] = db, hyperscan.Scratch(db)
    return cache["s"]


def installed_ner_model() -> str | None:
    """The spaCy model NER would use, found without importing spaCy."""
    from importlib.util import find_spec
    return next((m for m in NER_MODELS if find_spec(m) is not None), None)


def notes(model: str | None) -> list[str]:
    """What the user must know about the engine's reach."""
    if model:
        return [f"NER entities from spaCy model {model} (slow: every field is analyzed)"]
    return ["NER entities (PERSON, LOCATION, NRP, ORGANIZATION) are not detected: "
            "no spaCy model is installed (pip install en_core_web_sm to enable)"]


def get_engine() -> Engine:
    """The process-wide engine (building it costs a few seconds: presidio imports)."""
    global _engine
    with _lock:
        if _engine is None:
            _engine = build_engine()
        return _engine


def build_engine() -> Engine:
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
    prefilter = build_prefilter(recognizers)
    entities = sorted({e for r in recognizers for e in r.supported_entities})
    return Engine(analyzer, prefilter, model, entities, recognizers, _numbers_db())


def _numbers_db():
    import hyperscan
    db = hyperscan.Database()
    db.compile(expressions=[JSON_KEY_NUMBER], ids=[0], elements=1,
               flags=[hyperscan.HS_FLAG_SOM_LEFTMOST])
    return db


def _usable(recognizer, model) -> bool:
    """NER recognizers only with a real spaCy model; the rest always."""
    from presidio_analyzer.predefined_recognizers import SpacyRecognizer
    return model is not None or not isinstance(recognizer, SpacyRecognizer)


def build_prefilter(recognizers) -> Prefilter:
    """Compile every pattern of every regex recognizer into one hyperscan database."""
    import hyperscan
    from presidio_analyzer import PatternRecognizer
    from presidio_analyzer.predefined_recognizers import PhoneRecognizer
    exprs, modes, entity_of, recognizer_of, covered = [], [], [], [], {}
    for r in recognizers:
        name = type(r).__name__
        if isinstance(r, PatternRecognizer):
            pats = [(p.name, p.regex, hyperscan.HS_FLAG_PREFILTER) for p in r.patterns]
        elif isinstance(r, PhoneRecognizer):
            pats = [("phone candidate", PHONE_CANDIDATE, 0)]
        else:
            continue                # NER: runs on every field, not prefiltered
        for pname, regex, mode in pats:
            exprs.append(regex.encode())
            modes.append(mode)
            entity_of.append(r.supported_entities[0])
            recognizer_of.append(name)
            covered.setdefault(name, []).append(pname)
    # presidio compiles with IGNORECASE | MULTILINE | DOTALL: the same here.
    flags = hyperscan.HS_FLAG_CASELESS | hyperscan.HS_FLAG_DOTALL | hyperscan.HS_FLAG_MULTILINE
    db = hyperscan.Database()
    db.compile(expressions=exprs, ids=list(range(len(exprs))), elements=len(exprs),
               flags=[flags | m for m in modes])
    return Prefilter(db, entity_of, recognizer_of, covered)


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
