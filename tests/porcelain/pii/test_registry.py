"""The prefilter is built from presidio's registry and covers every recognizer."""
from __future__ import annotations

from presidio_analyzer import PatternRecognizer, RecognizerRegistry
from presidio_analyzer.predefined_recognizers import PhoneRecognizer, SpacyRecognizer

from ldv.porcelain.pii.registry import get_engine


def test_every_predefined_recognizer_is_covered():
    engine = get_engine()
    registry = RecognizerRegistry(supported_languages=["en"])
    registry.load_predefined_recognizers(languages=["en"])
    covered = engine.prefilter.covered
    assert registry.recognizers
    for r in registry.recognizers:
        name = type(r).__name__
        if isinstance(r, PatternRecognizer):
            assert covered.get(name) == [p.name for p in r.patterns], name
        elif isinstance(r, PhoneRecognizer):
            assert covered.get(name), name
        else:
            # Only NER is allowed to run without a prefilter (and only with a model).
            assert isinstance(r, SpacyRecognizer), f"{name} is not covered by the prefilter"


def test_prefilter_patterns_are_presidios_own():
    engine = get_engine()
    n_patterns = sum(len(r.patterns) for r in engine.recognizers
                     if isinstance(r, PatternRecognizer))
    # One expression per presidio pattern, plus the phone candidate pattern.
    assert len(engine.prefilter.entity_of) == n_patterns + 1
    assert engine.prefilter.entity_of.count("PHONE_NUMBER") == 1


def test_no_ner_without_model_is_said():
    engine = get_engine()
    if engine.ner_model is None:
        assert "PERSON" not in engine.entities
        assert any("no spaCy model" in n for n in engine.notes())
    else:
        assert "PERSON" in engine.entities
