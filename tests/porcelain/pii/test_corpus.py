"""ldv's scan finds exactly what presidio's plain AnalyzerEngine finds, per entity
type, on a labeled Faker corpus: recall at least presidio's, no extra false positives."""
from __future__ import annotations

import io
import json

import pytest
import spacy
from presidio_analyzer import AnalyzerEngine
from presidio_analyzer.nlp_engine import SpacyNlpEngine

from ldv.porcelain.pii import ScanOptions, Scanner
from ldv.porcelain.pii.formats import scan_stream, strings

from .corpus import make_corpus

THRESHOLD = 0.0


@pytest.fixture(scope="module")
def corpus():
    return make_corpus(seed=7)


@pytest.fixture(scope="module")
def presidio_plain():
    nlp = SpacyNlpEngine(models=[{"lang_code": "en", "model_name": "blank"}])
    nlp.nlp = {"en": spacy.blank("en")}
    return AnalyzerEngine(nlp_engine=nlp, supported_languages=["en"])


def _presidio_findings(analyzer, data: bytes, threshold: float = THRESHOLD) -> set:
    out = set()
    for n, line in enumerate(data.splitlines(), 1):
        for path, text in strings(json.loads(line)):
            for r in analyzer.analyze(text=text, language="en"):
                if r.score >= threshold and r.entity_type in ldv_entities():
                    out.add((n, path, r.entity_type, r.start, r.end, round(r.score, 6)))
    return out


def ldv_entities() -> set:
    return set(Scanner().entities)


def test_ldv_equals_presidio_per_entity(corpus, presidio_plain):
    data, labels = corpus
    scanner = Scanner(ScanOptions(threshold=THRESHOLD))
    ours = {(f.line, f.field, f.entity, f.start, f.end, round(f.score, 6))
            for f in scan_stream(scanner, io.BytesIO(data), "chat.jsonl")}
    theirs = _presidio_findings(presidio_plain, data)
    assert theirs, "presidio found nothing: the corpus is broken"
    for entity in sorted({t[2] for t in theirs | ours}):
        mine = {t for t in ours if t[2] == entity}
        ref = {t for t in theirs if t[2] == entity}
        assert ref <= mine, f"{entity}: ldv missed {len(ref - mine)} presidio finding(s)"
        assert mine <= ref, f"{entity}: ldv has {len(mine - ref)} finding(s) presidio has not"


@pytest.mark.parametrize("threshold", [0.4, 0.55])
def test_ldv_equals_presidio_above_a_threshold(corpus, presidio_plain, threshold):
    # Above a threshold, prefilter patterns whose results all score below it make
    # no candidates (Scanner.quiet): nothing presidio reports above it is lost.
    data, _ = corpus
    scanner = Scanner(ScanOptions(threshold=threshold))
    assert scanner.quiet, "no pattern is quiet at this threshold: the test tests nothing"
    ours = {(f.line, f.field, f.entity, f.start, f.end, round(f.score, 6))
            for f in scan_stream(scanner, io.BytesIO(data), "chat.jsonl")}
    assert ours == _presidio_findings(presidio_plain, data, threshold)


def test_quiet_patterns_are_those_below_the_threshold():
    scanner = Scanner(ScanOptions(threshold=0.4))
    pre = scanner.engine.prefilter
    quiet = {pre.recognizer_of[p] for p in scanner.quiet}
    # all their patterns score under 0.4 and nothing validates them
    assert {"UsBankRecognizer", "UsLicenseRecognizer", "UsPassportRecognizer"} <= quiet
    # validated (Luhn) from 0.3 to 1.0; the phone check; a 0.5 pattern
    kept = {pre.recognizer_of[p] for p in range(len(pre.entity_of)) if p not in scanner.quiet}
    assert {"CreditCardRecognizer", "PhoneRecognizer", "UsSsnRecognizer"} <= kept
    assert Scanner(ScanOptions(threshold=0.0)).quiet == frozenset()


def test_recall_and_precision_per_labeled_entity(corpus, presidio_plain):
    data, labels = corpus
    scanner = Scanner(ScanOptions(threshold=THRESHOLD))
    ours = scan_stream(scanner, io.BytesIO(data), "chat.jsonl")
    records = {n: json.loads(line) for n, line in enumerate(data.splitlines(), 1)}
    for entity in sorted({e for lab in labels.values() for e in lab}):
        truth = {k for k, lab in labels.items() if entity in lab}
        hit_ldv = {(f.line, f.field) for f in ours if f.entity == entity}
        hit_ref = set()
        for (n, path) in {k for k in labels} | hit_ldv:
            text = dict(strings(records[n])).get(path)
            if any(r.entity_type == entity
                   for r in presidio_plain.analyze(text=text, language="en",
                                                   entities=[entity])):
                hit_ref.add((n, path))
        recall_ldv = len(truth & hit_ldv) / len(truth)
        recall_ref = len(truth & hit_ref) / len(truth)
        assert recall_ldv >= recall_ref, entity
        assert len(hit_ldv - truth) <= len(hit_ref - truth), entity
    # The corpus is meaningful: the easy, validated types are found in full.
    for entity in ("EMAIL_ADDRESS", "CREDIT_CARD", "IBAN_CODE", "CRYPTO", "UUID"):
        truth = {k for k, lab in labels.items() if entity in lab}
        assert truth <= {(f.line, f.field) for f in ours if f.entity == entity}, entity


def test_negative_records_have_no_validated_findings(corpus):
    data, labels = corpus
    scanner = Scanner(ScanOptions(threshold=0.5))
    ours = scan_stream(scanner, io.BytesIO(data), "chat.jsonl")
    strong = {"EMAIL_ADDRESS", "CREDIT_CARD", "IBAN_CODE", "CRYPTO", "US_SSN"}
    unlabeled = [f for f in ours if f.entity in strong and (f.line, f.field) not in labels]
    assert unlabeled == []
