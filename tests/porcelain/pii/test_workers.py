"""Big files on worker processes, and the JSONL prefilter that skips JSON numbers."""
from __future__ import annotations

import io
import json

import pytest

from ldv.porcelain.pii import ScanOptions, Scanner
from ldv.porcelain.pii import formats
from ldv.porcelain.pii.formats import scan_stream
from ldv.porcelain.pii.registry import get_engine

from .corpus import make_corpus


def _key(f):
    return (f.path, f.line, f.field, f.entity, f.start, f.end, round(f.score, 6), f.preview)


@pytest.fixture
def small_blocks(monkeypatch):
    # Many blocks from a small corpus, so that every worker gets several.
    monkeypatch.setattr(formats, "BLOCK", 4 << 10)


@pytest.mark.parametrize("name", ["chat.jsonl", "chat.txt"])
def test_workers_find_what_one_process_finds(small_blocks, name):
    data, labels = make_corpus(seed=11)
    assert len(data) > 8 * formats.BLOCK
    one = scan_stream(Scanner(ScanOptions(jobs=1)), io.BytesIO(data), name)
    two = scan_stream(Scanner(ScanOptions(jobs=2)), io.BytesIO(data), name)
    assert one, "the corpus has PII"
    assert [_key(f) for f in two] == [_key(f) for f in one]
    if name.endswith(".jsonl"):
        assert {(f.line, f.field) for f in one if f.entity == "EMAIL_ADDRESS"} \
            == {k for k, lab in labels.items() if "EMAIL_ADDRESS" in lab}


def _phone_hits(data: bytes, jsonl: bool) -> int:
    engine = get_engine()
    pre = engine.jsonl_prefilter() if jsonl else engine.prefilter
    return sum(1 for pid, _ in engine.scan_bytes(data, jsonl) if pid in pre.phone_ids)


def test_jsonl_phone_candidate_skips_numbers_only():
    # (A number inside an array after the first still fires: its line is parsed,
    # and only its strings are scanned.)
    ids = b"".join(json.dumps({"id": 100000 + i, "n": [12345], "m": -4567, "t": "hi"}).encode()
                   + b"\n" for i in range(50))
    assert _phone_hits(ids, jsonl=False) >= 50          # the text candidate fires on ids
    assert _phone_hits(ids, jsonl=True) == 0
    # Inside strings it fires, whatever precedes the digits (a quoted key inside the
    # text, a colon, a quote), and after a key when the line is not JSON.
    for line in (b'{"t": "call 212-555-0199"}', b'{"t":"212-555-0199"}',
                 b'{"t": "he said \\"tel\\": 212-555-0199, ok"}',
                 b'{"t": "Phone: 212-555-0199"}', b'{"t": "Phone:212-555-0199"}',
                 b'{"phone": 212-555-0199 oops', b'{"phone": 2125550199\n',
                 b'212-555-0199 at the start', b':2125550199'):
        assert _phone_hits(line, jsonl=True) == 1, line


def test_escaped_quote_before_a_phone_is_still_string_content():
    # `\u0022` decodes to a quote: the prefilter must not take `": 1-682,` for a key.
    line = b'{"t": "he said \\u0022: 1-682, call"}\n'     # (no other pattern takes it)
    found = scan_stream(Scanner(ScanOptions(threshold=0.0)), io.BytesIO(line), "x.jsonl")
    assert ("$.t", "PHONE_NUMBER") in {(f.field, f.entity) for f in found}


def test_number_fields_do_not_make_candidates():
    # A Driver License digits pattern fires on 6-14 digit numbers: ids are numbers,
    # not strings, and are not handed to presidio.
    engine = get_engine()
    line = b'{"id": 123456789, "t": "nothing here"}\n'
    assert any(engine.prefilter.recognizer_of[p] == "UsLicenseRecognizer"
               for p, _ in engine.scan_bytes(line, True))
    from ldv.porcelain.pii.scanner import hit_lines
    # (threshold 0: at 0.4 that pattern's 0.01 makes no candidate anywhere)
    everything = Scanner(ScanOptions(threshold=0.0))
    assert hit_lines(everything, line, jsonl=True) == {}
    assert hit_lines(everything, line, jsonl=False) != {}


def test_repeated_strings_are_analyzed_once():
    line = json.dumps({"t": "write to support@example.com for help"}).encode() + b"\n"
    scanner = Scanner(ScanOptions(jobs=1))
    calls = []
    analyze = scanner._analyze
    scanner._analyze = lambda text, ents: calls.append(1) or analyze(text, ents)
    found = scan_stream(scanner, io.BytesIO(line * 50), "x.jsonl")
    assert [f.line for f in found if f.entity == "EMAIL_ADDRESS"] == list(range(1, 51))
    assert len({(f.start, f.end, f.preview) for f in found if f.entity == "EMAIL_ADDRESS"}) == 1
    assert len(calls) == 1
    # The memo is keyed by a digest, never by the string itself.
    assert all(isinstance(k, bytes) and len(k) == 16 for k in scanner._seen)


@pytest.mark.parametrize("jobs", [1, 2])
def test_a_detector_error_never_quotes_the_data(small_blocks, monkeypatch, jobs):
    # Fault injection: the detector raises with the text it was looking at, as a
    # validator's error might.  The error that reaches the user names the file and
    # the exception type only (in a worker process too).
    from ldv.porcelain.pii.workers import ScanFailed
    secret = "jane.roe@example.com"

    def failing(self, text, ents):
        raise ValueError(f"cannot validate {secret!r} in {text!r}")
    monkeypatch.setattr(Scanner, "_analyze", failing)
    data = (json.dumps({"t": f"mail {secret} now"}).encode() + b"\n") * 400
    assert len(data) > 2 * formats.BLOCK
    with pytest.raises(ScanFailed) as exc:
        scan_stream(Scanner(ScanOptions(jobs=jobs)), io.BytesIO(data), "chat.jsonl")
    err = exc.value
    assert "chat.jsonl" in err.message and "ValueError" in err.message
    assert secret not in str(err) and err.__cause__ is None and err.__context__ is None
    assert err.exit_code == 70
