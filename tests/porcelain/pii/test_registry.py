"""The prefilter is built from presidio's registry and covers every recognizer."""
from __future__ import annotations

from presidio_analyzer import PatternRecognizer, RecognizerRegistry
from presidio_analyzer.predefined_recognizers import PhoneRecognizer, SpacyRecognizer

from ldv.porcelain.pii.regexes import anchor, covering
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
    pre = engine.prefilter
    n_patterns = sum(len(r.patterns) for r in engine.recognizers
                     if isinstance(r, PatternRecognizer))
    # One expression per presidio pattern not covered by another, plus the phone
    # candidate pattern.
    assert len(pre.entity_of) == n_patterns - len(pre.covered_by) + 1
    assert pre.entity_of.count("PHONE_NUMBER") == 1
    # presidio's quoted and schema URL patterns contain its bare URL pattern.
    assert pre.covered_by == {"Standard Url": "Non schema URL", "Quoted URL": "Non schema URL",
                              "Quoted Non-schema URL": "Non schema URL"}


def test_covering_is_sound():
    import re

    from presidio_analyzer import Pattern

    def cover(*regexes):
        return covering([Pattern(f"p{i}", r, 0.5) for i, r in enumerate(regexes)])
    assert cover(r"(?i)ab(c)", r"(?i)x(ab(c))y") == {"p0": "p0", "p1": "p0"}
    # Optional, repeated, alternative, asserted or re-flagged: not a mandatory part.
    for outer in (r"x(?:ab(c))?", r"x(ab(c))*", r"x|ab(c)", r"x(?=ab(c))", r"x(?i:ab(c))"):
        assert cover(r"ab(c)", outer)["p1"] == "p1", outer
    # Different global flags: not comparable.
    assert cover(r"ab(c)", r"(?i)xab(c)")["p1"] == "p1"
    # Chains resolve to a pattern that is compiled.
    by = cover(r"(?i)qzab(c)", r"(?i)zab(c)", r"(?i)ab(c)")
    assert by == {"p0": "p2", "p1": "p2", "p2": "p2"}
    # Every covered pattern's matches contain a match of its cover, on presidio's own.
    engine = get_engine()
    url = next(r for r in engine.recognizers if type(r).__name__ == "UrlRecognizer")
    pats = {p.name: re.compile(p.regex, re.I | re.M | re.S) for p in url.patterns}
    samples = ['see "https://www.example.com/a?b" now', "http://x.co.uk", "'foo.org'"]
    for name, cover_name in engine.prefilter.covered_by.items():
        for text in samples:
            for m in pats[name].finditer(text):
                assert pats[cover_name].search(m.group(0)), (name, text)


def test_no_ner_without_model_is_said():
    engine = get_engine()
    if engine.ner_model is None:
        assert "PERSON" not in engine.entities
        assert any("PERSON" in n and "NOT looked for" in n and "spaCy model" in n
                   for n in engine.notes())
    else:
        assert "PERSON" in engine.entities


def test_anchor_is_a_mandatory_rare_character():
    import re
    assert anchor(r"\b\w+[@]\w+\.\w+") == r"@[\w\x80-\xff]"
    assert anchor(r"x(ab#[0-9a-f]{2,4})") == r"\#[\x30-\x39\x61-\x66]"
    # Optional, alternative, not followed by a repeated class, or not rare: none.
    for regex in (r"x(?:@\w)?y", r"x|@\w", r"\w@", r"x@(?:ab|cd)", r"a\.b+", r"\d{3}-\d{4}"):
        assert anchor(regex) is None, regex
    # On presidio's email pattern: every match contains a match of its anchor,
    # non-ASCII domains included.
    engine = get_engine()
    email = next(r for r in engine.recognizers if type(r).__name__ == "EmailRecognizer")
    full = re.compile(email.patterns[0].regex, re.I | re.M | re.S)
    cheap = re.compile(engine.prefilter.anchors[email.patterns[0].name].encode(), re.I)
    texts = ["mail jane.doe+x@example.com now", "ü@straße.de", "a@b.co", "x_y@ex-ample.org"]
    for text in texts:
        for m in full.finditer(text):
            assert cheap.search(m.group(0).encode()), text


class _Store:
    def __init__(self):
        self.data, self.puts = {}, 0

    def get(self, name):
        return self.data.get(name)

    def put(self, name, data):
        self.puts += 1
        self.data[name] = data


def test_compiled_databases_are_kept_and_reloaded():
    from ldv.porcelain.pii.registry import build_prefilter
    engine = get_engine()
    store = _Store()
    text = b'{"t": "mail jane.doe@example.com, card 4111 1111 1111 1111, ip 10.1.2.3"}\n'

    def hits(pre):
        out = []
        pre.database.scan(text, match_event_handler=lambda pid, s, e, f, c: out.append((pid, e)),
                          scratch=__import__("hyperscan").Scratch(pre.database))
        return sorted(out)
    first = build_prefilter(engine.recognizers, compiled=store)
    assert store.puts == 1 and len(store.data) == 1
    again = build_prefilter(engine.recognizers, compiled=store)
    assert store.puts == 1                              # loaded, not compiled again
    assert hits(again) == hits(first) == hits(engine.prefilter) != []
    jsonl = build_prefilter(engine.recognizers, jsonl=True, compiled=store)
    assert store.puts == 2 and hits(jsonl) != []        # its own entry
    # A damaged entry is compiled again and replaced.
    name = next(iter(store.data))
    store.data[name] = b"not a database"
    build_prefilter(engine.recognizers, compiled=store)
    assert store.puts == 3 and store.data[name] != b"not a database"


def test_prefilter_without_quiet_patterns_keeps_the_ids():
    # A scan at 0.4 uses a database without the patterns whose results cannot
    # reach it: the same hits, less theirs, under the same pattern ids.
    from ldv.porcelain.pii import ScanOptions, Scanner
    engine = get_engine()
    quiet = Scanner(ScanOptions(threshold=0.4)).quiet
    assert quiet
    data = (b'{"t": "ssn 123-45-6789, acct 123456789012, card 4111 1111 1111 1111, '
            b'licence A1234567, call (212) 555-0199, 10/2024"}\n') * 3
    for jsonl in (False, True):
        full = engine.scan_bytes(data, jsonl)
        less = engine.scan_bytes(data, jsonl, quiet)
        assert {h for h in full if h[0] in quiet}, "no quiet pattern fired: tests nothing"
        assert sorted(less) == sorted(h for h in full if h[0] not in quiet)
