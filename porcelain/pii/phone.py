"""presidio's PhoneRecognizer, with the same results at a fraction of the cost.

presidio runs phonenumbers' PhoneNumberMatcher once per region (8 by default)
over every text with a digit run, and the matcher parses and validates each
candidate, and each piece of it, in each region.  On digit-heavy data (sums,
prices, ids) that was almost all of a scan's time.  Here the matcher walks a
text once for all regions; what each region answers for a piece is remembered
for the scan; a piece that phonenumbers' metadata shows cannot verify in a region
is not parsed there; a piece that must get the same answer in several regions is
parsed once; and only a region where something verifies is matched again.

Glossary
  candidate  what the matcher cuts out of the text (its `_PATTERN`), then trims
  attempt    a string and its offset that the matcher hands to its
             `_parse_and_verify` for one candidate: the candidate itself, then
             the pieces its inner-match patterns cut out of it, in that order
  walk       the candidates and attempts of one text in the matcher's order
  neighbour facts  whether the characters just before and after an attempt (or
             candidate) are Latin letters or invalid punctuation
  prune      a test, from phonenumbers' metadata read at run time, that an
             attempt cannot verify in a region (point 5), so it is not parsed

Why the results are presidio's (phonenumbers' phonenumbermatcher.py and
phonenumberutil.py, read for this; `tests/porcelain/pii/test_phone.py` compares
each region's matches with PhoneNumberMatcher's and the results with presidio's
PhoneRecognizer on random digit-heavy texts):

1. The walk depends on the region only through `_parse_and_verify`'s result:
   `_find` searches `_PATTERN`, trims, and calls `_extract_match`, whose date
   and time-stamp checks and inner-match regexes read the text only; the first
   attempt that verifies ends the candidate.  So a matcher whose
   `_parse_and_verify` records the attempt and fails (Recorder) walks, for every
   region, through the attempts up to that region's first match.
2. The walk also counts failed attempts down from `max_tries` (65535) and stops
   at 0.  A candidate costs at most 1 + 6 * (1 + its length) tries (one per
   inner-pattern search position, plus the first piece, plus its own failure)
   and candidates do not overlap, so a text of under 65535 / 13 characters never
   runs out.  A longer text is matched per region by phonenumbers' loop (with
   the memo of point 3, which does not touch the count).
3. `_parse_and_verify(s, offset)` reads, besides `s`, the region and the
   leniency, only the neighbour facts of `s` in the text, and changes no state.
   The memo maps (a blake2b digest of `s`, not `s`; the two facts) to the set of
   regions where it verifies; a region where it does is asked again, to get
   phonenumbers' match object.
4. A region where an attempt of the text verifies is matched again by
   phonenumbers' own loop, with the memo: what follows a match depends on where
   it ends.  Matches are rare; every other region is answered by the walk.
5. Prunes, for leniency VALID or stricter (`_verify` then needs
   `is_valid_number`, and `_is_national_prefix_present_if_required`).  They
   apply to an attempt of ASCII digits and ` -./()` only: no plus, no letters
   to convert, no extension (each extension form needs a letter, `#`, `~`, `,`
   or `;`), so parse reads it as its digits.
   a. Nothing stripped: when the region's international prefix and national
      prefix (`national_prefix_for_parsing`) do not match at the start of the
      digits (first, cheaply: the digits start with none of the characters
      their regexes can start with, from Python's own parse of them) and they
      do not start with its country code, parse keeps the
      region's country code, strips nothing, and the national number (NSN) is
      the digits.  The attempt cannot verify if no region of that country code
      has a general description (possible lengths, then pattern) that takes
      them; nor, when the first digit is not 0 (no Italian leading zero), if
      `is_valid_number` fails for that country code and NSN (it reads nothing
      else), or if the main region's format for the NSN needs a national prefix
      that the raw digits lack (phonenumbers' `_choose_formatting_pattern_for_number`
      and `_maybe_strip_national_prefix_carrier_code`, as that check calls them).
      The parsed number is then the same in every region of the country code
      (US and CA), so its answer is computed once for them.
   b. Floor: otherwise, when the first digit is not 0 (every supported region's
      international prefix starts with 0, checked from its regex), the country
      code is still the region's own and the NSN is the digits less what is
      stripped (a prefix transform rule, if any, must be a single group
      reference, which adds no digit).  With fewer digits than the shortest
      possible length of the general descriptions of that country code's
      regions, it cannot verify.
   A premise that fails for a region turns its prune off (never a guess).
6. An attempt of a plus and then ASCII digits and ` -./()` whose digits start
   with a known country code (or are too few: parse then fails whatever the
   region) is parsed the same in every region: parse strips the plus and takes
   the country code from the digits before it looks at the region, and
   `_is_national_prefix_present_if_required` passes a number written with its
   country code.  It is parsed and verified once for all regions.
7. A candidate's attempts (strings, offsets within it, neighbour facts) depend
   on the candidate, on whether the text after it starts with a time-stamp
   suffix (a colon and two digits, read by `_extract_match`), and on the
   neighbour facts of the candidate itself: the inner-match patterns and the
   trimming read the candidate only.  The regions where one of them verifies are
   memoized under those, so a repeated candidate is not walked again.
"""
from __future__ import annotations

import hashlib
import re

# Attempts the prunes apply to (point 5): parse reads them as their digits.
_PLAIN = re.compile(r"[0-9 ()./\-]+")
# A plus, then such characters (point 6).
_PLUS = re.compile(r"[(\[ ]*\+([0-9 ()./\-]*)")
_NOT_DIGIT = re.compile(r"[^0-9]")
_MAX_TRIES = 65535
_COST_PER_CHAR = 13             # point 2: tries a character of text can cost at most
MEMO_MAX = 100_000              # attempts (and candidates) remembered, then forgotten:
                                # ~170 bytes each, so ~35 MB at most for both


# The phonenumbers releases whose phonenumbermatcher.py and phonenumberutil.py the
# reasoning above was checked against (and tests/porcelain/pii/test_phone.py run
# on).  Points 1-3 rest on private methods of the matcher: with another release
# the scanner uses presidio's PhoneRecognizer as it is (slower, same results).
VERIFIED_RELEASES = ("9.0.",)


def supported() -> bool:
    """Is the installed phonenumbers one this module's reasoning holds for?"""
    import phonenumbers
    return str(getattr(phonenumbers, "__version__", "")).startswith(VERIFIED_RELEASES)


def _matcher_classes():
    """The recording and the memoizing matcher, built on phonenumbers' own."""
    from phonenumbers import PhoneNumberMatcher

    class Recorder(PhoneNumberMatcher):
        """phonenumbers' matcher, recording each attempt and failing it, and
        taking the regions where a candidate's attempts verify from the job."""

        def __init__(self, job: "_Job"):
            super().__init__(job.text, "ZZ", leniency=1, max_tries=_MAX_TRIES)
            self.job, self.mask = job, 0
            self.walk: list[tuple[str, int]] = []

        def _extract_match(self, candidate, offset):
            self.mask |= self.job.candidate_mask(
                candidate, offset, lambda: self._attempts(candidate, offset))
            return None

        def _attempts(self, candidate, offset):
            self.walk.clear()
            PhoneNumberMatcher._extract_match(self, candidate, offset)
            return self.walk

        def _parse_and_verify(self, candidate, offset):
            self.walk.append((candidate, offset))
            return None

    class Memoized(PhoneNumberMatcher):
        """phonenumbers' matcher whose parse-and-verify asks the memo first."""

        def __init__(self, text, region, leniency, job: "_Job"):
            super().__init__(text, region, leniency=leniency)
            self._job = job

        def _parse_and_verify(self, candidate, offset):
            if not self._job.verifies(self.preferred_region, candidate, offset):
                return None
            return super()._parse_and_verify(candidate, offset)

        def real_parse_and_verify(self, candidate, offset):
            return super()._parse_and_verify(candidate, offset)

    return Recorder, Memoized


class PhoneScan:
    """PhoneRecognizer.analyze for one scanner: same results, memo kept between
    texts (in memory, for this scan).  The memo maps an attempt (a digest of it
    and its two neighbour facts, point 3) to the regions where it verifies."""

    def __init__(self):
        import phonenumbers
        from phonenumbers import PhoneNumberMatcher
        # phonenumbers compiles its metadata regexes through re's cache, which
        # holds 512: checking numbers of several regions keeps recompiling or
        # looking them up there.  Its documented switch keeps them all instead
        # (process-wide; the same regexes, so the same answers).
        getattr(phonenumbers, "enable_pattern_cache", lambda: None)()
        self._recorder, self._memoized = _matcher_classes()
        self._bad_char: dict[str, bool] = {}
        self._memo: dict[tuple, dict[tuple[bytes, bool, bool], int]] = {}
        self._rules: dict[tuple[str, int], Region] = {}
        self._invalid_punct = PhoneNumberMatcher._is_invalid_punctuation_symbol
        self._latin = PhoneNumberMatcher._is_latin_letter

    def analyze(self, recognizer, text: str) -> list:
        """What ``recognizer.analyze(text, ...)`` returns (a PhoneRecognizer)."""
        import phonenumbers
        from phonenumbers.phonenumberutil import NumberParseException
        from presidio_analyzer import EntityRecognizer
        job = _Job(self, text, tuple(recognizer.supported_regions), recognizer.leniency)
        results = []
        for region in job.regions_with_matches():
            for match in job.matcher(region):
                # As PhoneRecognizer.analyze does (the region it names is only
                # used in the result's explanation).
                try:
                    parsed = phonenumbers.parse(text[match.start:match.end])
                    region = phonenumbers.region_code_for_number(parsed)
                    results.append(recognizer._get_recognizer_result(match, text, region, None))
                except NumberParseException:
                    results.append(recognizer._get_recognizer_result(match, text, region, None))
        return EntityRecognizer.remove_duplicates(results)

    def matches(self, text: str, region: str, leniency: int) -> list:
        """What ``list(PhoneNumberMatcher(text, region, leniency))`` holds."""
        job = _Job(self, text, (region,), leniency)
        return list(job.matcher(region)) if job.regions_with_matches() else []

    def _attempt(self, text: str, s: str, off: int) -> tuple:
        """(s, offset, memo key, kind, digits): what each region asks of it.
        kind: "plain" (point 5), "plus" (point 6) or None."""
        end = off + len(s)
        key = (_digest(s), off > 0 and self._bad(text[off - 1]),
               end < len(text) and self._bad(text[end]))
        if _PLAIN.fullmatch(s):
            return s, off, key, "plain", _NOT_DIGIT.sub("", s)
        plus = _PLUS.fullmatch(s)
        if plus:
            from phonenumbers.phonenumberutil import _extract_country_code
            digits = _NOT_DIGIT.sub("", plus.group(1))
            if len(digits) <= 2 or _extract_country_code(digits)[0]:
                return s, off, key, "plus", digits
        return s, off, key, None, None

    def _region_memo(self, regions: tuple, leniency: int, what: str = "attempts") -> dict:
        memo = self._memo.get((regions, leniency, what))
        if memo is None or len(memo) >= MEMO_MAX:
            memo = self._memo[(regions, leniency, what)] = {}
        return memo

    def _region(self, region: str, leniency: int) -> "Region":
        rules = self._rules.get((region, leniency))
        if rules is None:
            rules = self._rules[(region, leniency)] = Region(region, leniency)
        return rules

    def _bad(self, ch: str) -> bool:
        """A Latin letter or invalid punctuation: what `_parse_and_verify` asks of
        the characters around an attempt."""
        bad = self._bad_char.get(ch)
        if bad is None:
            bad = self._bad_char[ch] = bool(self._invalid_punct(ch) or self._latin(ch))
        return bad


class _Job:
    """One text and the regions it is matched in."""

    def __init__(self, phones: PhoneScan, text: str, regions: tuple, leniency: int):
        self.phones, self.text, self.regions, self.leniency = phones, text, regions, leniency
        self.memo = phones._region_memo(regions, leniency)
        self.candidates = phones._region_memo(regions, leniency, "candidates")
        self.rules = [phones._region(r, leniency) for r in regions]
        self._matchers: dict[str, object] = {}

    def matcher(self, region: str):
        """The memoizing matcher of ``region`` on the text (one per region: asking
        it to parse and verify does not move it)."""
        m = self._matchers.get(region)
        if m is None:
            m = self._matchers[region] = self.phones._memoized(
                self.text, region, self.leniency, self)
        return m

    def regions_with_matches(self) -> list[str]:
        """The regions, in order, where an attempt verifies (all of them when the
        text is too long to walk once, point 2)."""
        if len(self.text) * _COST_PER_CHAR >= _MAX_TRIES:
            return list(self.regions)
        rec = self.phones._recorder(self)
        rec.has_next()                      # walks the whole text: nothing verifies
        return [r for i, r in enumerate(self.regions) if rec.mask >> i & 1]

    def candidate_mask(self, candidate: str, offset: int, attempts) -> int:
        """The regions where an attempt of a candidate verifies.  The attempts
        are a function of the candidate, the time-stamp suffix after it and the
        neighbour facts of its first and last character (point 7), so the answer
        is memoized under those; ``attempts()`` walks it otherwise."""
        from phonenumbers.phonenumbermatcher import _TIME_STAMPS_SUFFIX
        text, end, bad = self.text, offset + len(candidate), self.phones._bad
        key = (_digest(candidate), offset > 0 and bad(text[offset - 1]),
               end < len(text) and bad(text[end]),
               _TIME_STAMPS_SUFFIX.match(text, end) is not None)
        mask = self.candidates.get(key)
        if mask is None:
            mask = 0
            for s, off in attempts():
                mask |= self._mask(self.phones._attempt(text, s, off))
            self.candidates[key] = mask
        return mask

    def verifies(self, region: str, s: str, off: int) -> bool:
        """Whether ``region``'s `_parse_and_verify(s, off)` returns a match."""
        mask = self._mask(self.phones._attempt(self.text, s, off))
        return bool(mask >> self.regions.index(region) & 1)

    def _mask(self, attempt) -> int:
        mask = self.memo.get(attempt[2])
        if mask is None:
            mask = self.memo[attempt[2]] = self._compute(attempt)
        return mask

    def _compute(self, attempt) -> int:
        """The regions where an attempt the memo does not know verifies: pruned
        (point 5), answered once for the regions that must give the same answer
        (5a: one country code, nothing stripped; 6: a plus and a known country
        code), or parsed and verified."""
        s, off, _, kind, digits = attempt
        mask, shared, pruned = 0, {}, {}
        for i, (region, rules) in enumerate(zip(self.regions, self.rules)):
            scope = None
            if kind is None or not rules.on:
                pass
            elif kind == "plus":
                scope = "+"
            elif not rules.strips_nothing(digits):
                if rules.below_floor(digits):
                    continue
            else:
                # 5a: these tests read the country code and the digits only
                scope = "+" + rules.cc
                no = pruned.get(scope)
                if no is None:
                    no = pruned[scope] = not rules.may_be_valid(digits) \
                        or rules.needs_national_prefix(digits) \
                        or not rules.valid_as_parsed(digits)
                if no:
                    continue
            hit = shared.get(scope) if scope is not None else None
            if hit is None:
                hit = self.matcher(region).real_parse_and_verify(s, off) is not None
                if scope is not None:
                    shared[scope] = hit
            if hit:
                mask |= 1 << i
        return mask


def _digest(s: str) -> bytes:
    return hashlib.blake2b(s.encode("utf-8", "surrogatepass"), digest_size=16).digest()


class Region:
    """A region's prunes (module docstring, point 5), from phonenumbers' metadata."""

    def __init__(self, region: str, leniency: int):
        from phonenumbers import COUNTRY_CODE_TO_REGION_CODE, PhoneMetadata
        md = PhoneMetadata.metadata_for_region(region, None)
        self.leniency = leniency
        self.on = md is not None and leniency >= 1     # 1: Leniency.VALID
        if not self.on:
            return
        from phonenumbers import region_code_for_country_code
        self.floor = region_floor(region)
        self.cc = str(md.country_code)
        # the metadata _is_national_prefix_present_if_required reads (point 5a)
        self.main = PhoneMetadata.metadata_for_region(
            region_code_for_country_code(md.country_code), None)
        self.idd = re.compile(md.international_prefix) if md.international_prefix else None
        npp = md.national_prefix_for_parsing
        self.npp = re.compile(npp) if npp else None
        # the characters a match of any of the three can start with (None: any)
        firsts = [{self.cc[0]}] + [_first_chars(p.pattern) for p in (self.idd, self.npp) if p]
        self.first = None if None in firsts else frozenset().union(*firsts)
        # The general descriptions of the country code's regions, as
        # phonenumbers' _is_number_matching_desc reads them: a possible length
        # (any, when none is listed), then a full match of the pattern.
        by_length: dict[int, list[str]] = {}
        any_length: list[str] = []
        for other in COUNTRY_CODE_TO_REGION_CODE.get(md.country_code, ()):
            mo = PhoneMetadata.metadata_for_region_or_calling_code(md.country_code, other)
            desc = mo.general_desc if mo is not None else None
            if desc is None or not desc.national_number_pattern:
                continue            # matches nothing (region_code_for_number skips it)
            for n in desc.possible_length or ():
                by_length.setdefault(n, []).append(desc.national_number_pattern)
            if not desc.possible_length:
                any_length.append(desc.national_number_pattern)
        self.by_length = {n: _any_of(p) for n, p in by_length.items()}
        self.any_length = _any_of(any_length)

    def strips_nothing(self, digits: str) -> bool:
        """Point 5a: no international prefix, country code or national prefix of
        this region at the start of the digits, so parse keeps them all."""
        if self.first is not None and digits[:1] not in self.first:
            return True
        return not ((self.idd is not None and self.idd.match(digits))
                    or digits.startswith(self.cc)
                    or (self.npp is not None and self.npp.match(digits)))

    def may_be_valid(self, digits: str) -> bool:
        """Point 5a: the digits, as a national number, match the general
        description of a region of this country code."""
        return any(p.fullmatch(digits) for p in self.by_length.get(len(digits), ())) \
            or any(p.fullmatch(digits) for p in self.any_length)


    def needs_national_prefix(self, digits: str) -> bool:
        """Point 5a: parsed with the region's own country code and nothing
        stripped, the number fails `_is_national_prefix_present_if_required`
        (phonenumbers' functions, on the same national number and raw digits)."""
        from phonenumbers.phonenumberutil import (_choose_formatting_pattern_for_number,
                                                  _formatting_rule_has_first_group_only,
                                                  _maybe_strip_national_prefix_carrier_code)
        if self.main is None:
            return False
        rule = _choose_formatting_pattern_for_number(self.main.number_format, digits)
        if rule is None or not rule.national_prefix_formatting_rule \
                or rule.national_prefix_optional_when_formatting \
                or _formatting_rule_has_first_group_only(rule.national_prefix_formatting_rule):
            return False
        return not _maybe_strip_national_prefix_carrier_code(digits, self.main)[2]

    def valid_as_parsed(self, digits: str) -> bool:
        """Point 5a: `is_valid_number` of what parse makes of the digits (the
        region's country code, the digits as national number; no leading zero,
        so no Italian leading zero either), which `_verify` requires."""
        if digits[:1] == "0":
            return True                 # (not decided here)
        from phonenumbers import PhoneNumber, is_valid_number
        return is_valid_number(PhoneNumber(country_code=int(self.cc),
                                           national_number=int(digits)))

    def below_floor(self, digits: str) -> bool:
        """Point 5b."""
        return digits[:1] != "0" and len(digits) < self.floor


def _first_chars(regex: str) -> set[str] | None:
    """The characters a match of ``regex`` can start with, from Python's own
    parse of it; None when that is not plain (a first element that may be empty,
    a category, a negated class, scoped flags...)."""
    from re import _parser
    from re._constants import BRANCH, IN, LITERAL, RANGE, SUBPATTERN

    def first(items) -> set[str] | None:
        if not items:
            return None
        op, av = items[0]
        if op is LITERAL:
            return {chr(av)}
        if op is BRANCH:
            out: set[str] = set()
            for alternative in av[1]:
                f = first(list(alternative))
                if f is None:
                    return None
                out |= f
            return out
        if op is SUBPATTERN:
            _, add, remove, sub = av
            return None if add or remove else first(list(sub))
        if op is IN:
            out = set()
            for iop, iav in av:
                if iop is LITERAL:
                    out.add(chr(iav))
                elif iop is RANGE:
                    out |= {chr(c) for c in range(iav[0], iav[1] + 1)}
                else:
                    return None
            return out
        return None
    parsed = _parser.parse(regex)
    if parsed.state.flags & re.IGNORECASE:
        return None                 # (a letter would stand for two)
    return first(list(parsed.data))


def _any_of(patterns: list[str]) -> list[re.Pattern]:
    """Compiled patterns such that a string fully matches one of them iff it fully
    matches one of ``patterns``: one alternation, unless a pattern refers to a
    group (numbers change when they are joined)."""
    if len(patterns) > 1 and not any(re.search(r"\\[1-9]|\(\?P=", p) for p in patterns):
        return [re.compile("|".join(f"(?:{p})" for p in dict.fromkeys(patterns)))]
    return [re.compile(p) for p in dict.fromkeys(patterns)]


def region_floor(region: str) -> int:
    """Fewest digits of a valid number parsed in ``region`` from an attempt whose
    first digit is not 0 (module docstring, point 5b); 0 when a premise fails."""
    from re import _parser
    from phonenumbers import (COUNTRY_CODE_TO_REGION_CODE, PhoneMetadata,
                              region_code_for_country_code)
    md = PhoneMetadata.metadata_for_region(region, None)
    if md is None or not md.international_prefix:
        return 0
    first = _parser.parse(md.international_prefix).data[:1]
    if [(op.name, av) for op, av in first] != [("LITERAL", ord("0"))]:
        return 0                    # an international prefix may start 1-9
    # parse strips a national prefix with the metadata of the region it was given,
    # or of the main region of the country code it found (here the same code).
    for name in {region, region_code_for_country_code(md.country_code)}:
        rule = PhoneMetadata.metadata_for_region(name, None).national_prefix_transform_rule
        if rule and not re.fullmatch(r"\\[1-9]|\$[1-9]", rule):
            return 0                # a transform rule may add digits
    lengths = []
    for other in COUNTRY_CODE_TO_REGION_CODE.get(md.country_code, ()):
        mo = PhoneMetadata.metadata_for_region_or_calling_code(md.country_code, other)
        if mo is None:
            continue                # region_code_for_number skips it too
        possible = mo.general_desc.possible_length if mo.general_desc else ()
        if not possible:
            return 0                # any length may be valid
        lengths.append(min(possible))
    return max(0, min(lengths, default=0))
