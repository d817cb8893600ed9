"""phone.PhoneScan returns what presidio's own PhoneRecognizer.analyze returns, on
random digit-heavy texts (numbers, phone numbers of several countries, dates,
time stamps, brackets, plus signs, extensions, letters and symbols around them),
with one PhoneScan reused across texts so that its memo answers most attempts."""
from __future__ import annotations

import random

import pytest
from faker import Faker
from phonenumbers import PhoneNumberMatcher
from presidio_analyzer.predefined_recognizers import PhoneRecognizer

from ldv.porcelain.pii.phone import PhoneScan, region_floor
from ldv.porcelain.pii.registry import get_engine

_SEPS = [" ", "  ", "-", " - ", ".", "/", " / ", "(", ")", " (", ") ", "+", " + ", "+1 ",
         "+49 ", "+44 ", "011 ", "00", "0", " x", " ext. ", "#", ",", ";", ":", "=", "*",
         "%", "$", "€", "a", "Z", "é", "\u00a0", "\u2013", "\n", "\t", "tel:", ":30",
         " 08:00", "٣", "０"]


def _phones(seed: int) -> list[str]:
    out = []
    for loc in ("en_US", "en_GB", "de_DE", "fr_FR", "he_IL", "en_IN", "en_CA", "pt_BR"):
        fake = Faker(loc)
        fake.seed_instance(seed)
        out += [fake.phone_number() for _ in range(8)]
    return out


def _number(rng: random.Random) -> str:
    digits = rng.choice([1, 2, 3, 4, 4, 5, 6, 7, 7, 8, 9, 10, 10, 11, 12, 14, 16])
    first = rng.choice("0123456789" if rng.random() < 0.3 else "123456789")
    return first + "".join(rng.choice("0123456789") for _ in range(digits - 1))


def random_text(rng: random.Random, phones: list[str]) -> str:
    parts = []
    for _ in range(rng.randint(1, 12)):
        r = rng.random()
        if r < 0.45:
            parts.append(_number(rng))
        elif r < 0.6:
            parts.append(rng.choice(phones))
        elif r < 0.65:
            parts.append(f"{rng.randint(1, 12)}/{rng.randint(1, 31)}/{rng.randint(1990, 2030)}")
        elif r < 0.67:
            # a time stamp, whose candidate is dropped only before ":MM"
            parts.append(f"20{rng.randint(10, 29)}-0{rng.randint(1, 9)}-1{rng.randint(0, 9)} "
                         f"0{rng.randint(0, 9)}" + rng.choice([":00", ":75", "", " h"]))
        elif r < 0.7:
            parts.append(rng.choice(["What is", "call me at", "the answer is", "abc", "total"]))
        elif r < 0.75:
            # An international prefix, a country code and a short number: too few
            # digits for the region's own numbers, not for the country dialled.
            parts.append(rng.choice(["00", "011", "0", "+"]) + rng.choice(["", " "])
                         + rng.choice(["49", "44", "1", "33", "972", "91", "55"])
                         + rng.choice(["", " ", "-"]) + _number(rng))
        parts.append(rng.choice(_SEPS))
    return "".join(parts).strip(rng.choice(["", " ", "x"]))


@pytest.fixture(scope="module")
def recognizer():
    return next(r for r in get_engine().recognizers if type(r) is PhoneRecognizer)


def _results(found) -> list:
    return sorted((r.entity_type, r.start, r.end, r.score,
                   r.analysis_explanation.textual_explanation) for r in found)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_phone_scan_equals_presidio(recognizer, seed):
    rng, phones = random.Random(seed), _phones(seed)
    scan = PhoneScan()
    texts = [random_text(rng, phones) for _ in range(400)]
    texts += texts[:100]              # again: answered from the memo
    found = 0
    for text in texts:
        theirs = _results(recognizer.analyze(text, ["PHONE_NUMBER"], None))
        assert _results(scan.analyze(recognizer, text)) == theirs, "a text differs"
        found += len(theirs)
    assert found > 50, "the texts hold too few phone numbers to test anything"


def _spans(matches) -> list:
    return [(m.start, m.end) for m in matches]


@pytest.mark.parametrize("seed", [4, 5])
def test_matches_per_region_equal_phonenumbers(recognizer, seed):
    # Per region, not only merged: another region finding the same span must not
    # hide a region's miss.
    rng, phones = random.Random(seed), _phones(seed)
    scan = PhoneScan()
    for text in [random_text(rng, phones) for _ in range(250)]:
        for region in recognizer.supported_regions:
            theirs = _spans(PhoneNumberMatcher(text, region, leniency=recognizer.leniency))
            assert _spans(scan.matches(text, region, recognizer.leniency)) == theirs


def test_dialled_abroad_equals_phonenumbers(recognizer):
    # "00 49 1691" is a valid German number to the FR matcher (00 is France's
    # international prefix) with fewer digits than any French number: the floor
    # must not apply to digits that start with 0.
    rng = random.Random(5)
    texts = ["00 49 1691", "call 00 49 1691 now"]
    texts += [f"{rng.choice(['00', '011', '0'])} "
              f"{rng.choice(['49', '44', '1', '33', '972', '91', '55', '41'])} "
              f"{rng.randint(10, 10 ** rng.randint(3, 9))}" for _ in range(300)]
    scan = PhoneScan()
    for text in texts:
        for region in recognizer.supported_regions:
            theirs = _spans(PhoneNumberMatcher(text, region, leniency=recognizer.leniency))
            assert _spans(scan.matches(text, region, recognizer.leniency)) == theirs
    assert _spans(PhoneNumberMatcher("00 49 1691", "FR", leniency=1)) == [(0, 10)]


def test_time_stamp_suffix_is_part_of_the_candidate_memo(recognizer):
    # "2066-07-23 21" is a phone number in US, CA and IN, but not before ":30"
    # (phonenumbers takes it for a time stamp): the same candidate, both ways.
    scan = PhoneScan()
    texts = ["at 2066-07-23 21:30", "at 2066-07-23 21 x", "at 2066-07-23 21:30",
             "19140737 26:15", "19140737 26 h"]
    for text in texts:
        theirs = _results(recognizer.analyze(text, ["PHONE_NUMBER"], None))
        assert _results(scan.analyze(recognizer, text)) == theirs, text
    assert not _results(recognizer.analyze(texts[0], ["PHONE_NUMBER"], None))
    assert _results(recognizer.analyze(texts[1], ["PHONE_NUMBER"], None))


def test_long_text_equals_presidio(recognizer):
    # Over 65535 / 13 characters the walk is not shared between regions.
    rng, phones = random.Random(9), _phones(9)
    text = " ".join(random_text(rng, phones) for _ in range(300))
    assert len(text) > 6000
    scan = PhoneScan()
    theirs = _results(recognizer.analyze(text, ["PHONE_NUMBER"], None))
    assert theirs
    assert _results(scan.analyze(recognizer, text)) == theirs


def test_floors_come_from_the_metadata():
    # NANP (US, CA share +1; CA has 7-digit numbers), DE has 4-digit ones.
    assert region_floor("US") == region_floor("CA") == 7
    assert region_floor("DE") == 4
    assert region_floor("FR") == 9
    assert region_floor("ZZ") == 0


@pytest.mark.parametrize("leniency", [0, 2, 3])
def test_other_leniencies_equal_presidio(leniency):
    # presidio's default is VALID (1); the prunes need VALID or stricter and are
    # off for POSSIBLE (0); the sharing between regions holds for all.
    configured = PhoneRecognizer(leniency=leniency)
    rng, phones = random.Random(10 + leniency), _phones(10 + leniency)
    scan = PhoneScan()
    for text in [random_text(rng, phones) for _ in range(120)]:
        theirs = _results(configured.analyze(text, ["PHONE_NUMBER"], None))
        assert _results(scan.analyze(configured, text)) == theirs, "a text differs"


def test_an_unverified_phonenumbers_release_falls_back_to_presidio(monkeypatch):
    """phone.py rests on private methods of phonenumbers' matcher: a release it was
    not checked against gets presidio's PhoneRecognizer, with the same findings."""
    import phonenumbers

    from ldv.porcelain.pii import ScanOptions, Scanner, phone
    from ldv.porcelain.pii.phone import PhoneScan as Real
    text = "call +1 212-555-0142 or 030 1234567, what is 12345 + 6789?"
    assert phone.supported()
    expected = {(s.entity, s.start, s.end) for s in Scanner(ScanOptions()).spans(text)}
    assert ("PHONE_NUMBER", 5, 20) in expected
    monkeypatch.setattr(phonenumbers, "__version__", "99.1.0")
    assert not phone.supported()

    def refuse(*a, **k):
        raise AssertionError("PhoneScan used with an unverified phonenumbers")
    monkeypatch.setattr(phone, "PhoneScan", refuse)
    assert Real is not phone.PhoneScan
    assert {(s.entity, s.start, s.end) for s in Scanner(ScanOptions()).spans(text)} \
        == expected
