"""Anonymizer operators, span merging, masked previews and the allowlist parser."""
from __future__ import annotations

import io

import pytest
from faker import Faker

from ldv.plumbing.errors import BadInput
from ldv.porcelain.pii import Allowlist, ScanOptions, Scanner, Span
from ldv.porcelain.pii.anonymize import Anonymizer, anonymize_stream, hash_key, merge
from ldv.porcelain.pii.report import mask


@pytest.fixture(scope="module")
def email():
    Faker.seed(5)
    return Faker("en_US").email()


def test_merge_overlaps_keeps_best_entity():
    spans = [Span("URL", 5, 16, 0.5, "u"), Span("EMAIL_ADDRESS", 0, 16, 1.0, "e"),
             Span("PHONE_NUMBER", 20, 30, 0.4, "p")]
    assert merge(spans) == [Span("EMAIL_ADDRESS", 0, 16, 1.0, "e"),
                            Span("PHONE_NUMBER", 20, 30, 0.4, "p")]


@pytest.mark.parametrize("op", ["mask", "redact", "replace", "hash"])
def test_operators_remove_the_value(op, email):
    anon = Anonymizer(Scanner(), op, hash_key(b"k" * 32))
    text = f"write to {email} please"
    out = anon.text(text)
    assert email not in out and out.startswith("write to ") and out.endswith(" please")
    if op == "mask":
        assert len(out) == len(text)
    if op in ("replace", "hash"):
        assert "<EMAIL_ADDRESS" in out


def test_hash_is_keyed_and_deterministic(email):
    a = Anonymizer(Scanner(), "hash", hash_key(b"a" * 32))
    b = Anonymizer(Scanner(), "hash", hash_key(b"b" * 32))
    assert a.text(email) == a.text(email) != b.text(email)


def test_unknown_operator_is_bad_input():
    with pytest.raises(BadInput):
        Anonymizer(Scanner(), "scramble")


def test_text_export_keeps_other_lines_byte_identical(tmp_path, email):
    data = f"plain line\r\nmail {email}\r\n\xff\xfe binary-ish but text\n".encode("latin-1")
    dest = tmp_path / "out.txt"
    anonymize_stream(Anonymizer(Scanner(), "replace"), io.BytesIO(data), "a.txt", dest)
    out = dest.read_bytes()
    assert out.startswith(b"plain line\r\nmail <EMAIL_ADDRESS>\r\n")
    assert out.endswith(b"\xff\xfe binary-ish but text\n") and email.encode() not in out


def test_mask_never_shows_short_values_or_the_middle():
    assert mask("1234567") == "*******"
    assert mask("john@example.com") == "j**************m"


def test_allowlist_parse_and_threshold(email):
    allow = Allowlist.parse(f"# c\n\n{email}\nre:\\d{{3}}-\\d{{2}}-\\d{{4}}\n")
    assert allow.allows(email) and allow.allows("123-45-6789") and not allow.allows("x")
    text = f"mail {email}"
    assert "EMAIL_ADDRESS" in {sp.entity for sp in Scanner().spans(text)}
    allowed = Scanner(ScanOptions(allowlist=allow)).spans(text)
    assert "EMAIL_ADDRESS" not in {sp.entity for sp in allowed}
    with pytest.raises(BadInput):
        Allowlist.parse("re:(")
