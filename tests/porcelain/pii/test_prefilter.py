"""Hypothesis: the prefilter never hides what presidio would find, whatever
surrounds a value (escapes, unicode, digits, punctuation), in text and in JSONL."""
from __future__ import annotations

import io
import json
import random

import pytest
from faker import Faker
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ldv.porcelain.pii import ScanOptions, Scanner
from ldv.porcelain.pii.formats import scan_stream
from ldv.porcelain.pii.registry import get_engine

from .corpus import generators

_FAKE = Faker("en_US")
Faker.seed(3)
_GENS = generators(_FAKE, random.Random(3))
_POOL = [make() for make, _ in _GENS.values() for _ in range(6)]
_GLUE = ["my", "card", "phone", "email", "ssn", "iban", "wallet", "ip", "date", " ", "\n",
         "\t", ",", ".", ":", "(", ")", "\"", "\\", "é", "ß", "—", "€", "12", "-", "/",
         "call 555", "+1 ", "x", "0"]

fragments = st.lists(st.one_of(st.sampled_from(_POOL), st.sampled_from(_GLUE),
                               st.text(max_size=6)), min_size=1, max_size=12)


def _presidio(text: str, threshold: float = 0.0) -> set:
    ents = set(get_engine().entities)
    return {(r.entity_type, r.start, r.end, round(r.score, 6))
            for r in get_engine().analyzer.analyze(text=text, language="en")
            if r.entity_type in ents and r.score >= threshold}


# 0.4 is the default: there the patterns that only score below it make no
# candidates (quiet patterns), so it is checked as well as "everything" (0.0).
@pytest.mark.parametrize("threshold", [0.0, 0.4])
@settings(max_examples=35, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(fragments, st.sampled_from(["", " ", "\n"]))
def test_text_spans_equal_presidio(threshold, parts, sep):
    text = sep.join(parts)
    scanner = Scanner(ScanOptions(threshold=threshold))
    ours = {(s.entity, s.start, s.end, round(s.score, 6)) for s in scanner.spans(text)}
    assert ours == _presidio(text, threshold)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(fragments, fragments, st.booleans())
def test_jsonl_fields_equal_presidio(parts, more, ascii_only):
    # Two string fields and a number: a value at the end of one field must not be
    # attributed to the next one, nor hidden by the id.
    first, second = " ".join(parts), "".join(more)
    line = json.dumps({"t": first, "n": 12345, "u": second}, ensure_ascii=ascii_only)
    scanner = Scanner(ScanOptions(threshold=0.0))
    ours = {(f.field, f.entity, f.start, f.end, round(f.score, 6))
            for f in scan_stream(scanner, io.BytesIO(line.encode() + b"\n" + line.encode()),
                                 "x.jsonl") if f.line == 2}
    theirs = {("$.t",) + t for t in _presidio(first)} | {("$.u",) + t for t in _presidio(second)}
    assert ours == theirs
