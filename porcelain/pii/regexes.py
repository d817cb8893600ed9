"""What every match of a regex must contain: cheaper prefilter expressions that
still match a superset, derived from presidio's regexes at run time.

Glossary
  parse tree   Python's own parse of a regex (re._parser): a sequence of
               (opcode, argument) elements, groups nested as sub-sequences
  mandatory    an element every match goes through exactly once: reached from
               the top through plain groups only (no alternation, repeat,
               assertion or scoped flags on the way)
  covering     pattern A covers pattern B of the same recognizer when A's parse
               is a run of B's mandatory elements: each match of B contains a
               match of A, so compiling A alone finds B's candidates too
  anchor       a rare character that is a mandatory element, with one
               occurrence of the repeated class after it
"""
from __future__ import annotations

import functools


def covering(patterns) -> dict[str, str]:
    """Pattern name -> the name of the pattern that stands for it in the prefilter:
    itself, or another pattern of the same recognizer whose regex is a mandatory
    part of its own (so each of its matches contains a match of the other, which
    the prefilter reports).  presidio's quoted and schema URL patterns are its bare
    URL pattern with more around it; compiling those four ~6 KB regexes cost half
    the prefilter's scan time and most of its compile time."""
    return dict(_covering(tuple((p.name, p.regex) for p in patterns)))


@functools.lru_cache(maxsize=64)
def _covering(patterns: tuple[tuple[str, str], ...]) -> tuple[tuple[str, str], ...]:
    from re import _parser
    parsed: dict = {}

    def tree(name, regex):
        if name not in parsed:
            parsed[name] = _parser.parse(regex)
        return parsed[name]
    out: dict[str, str] = {}
    for p, p_regex in patterns:
        out[p] = next((q for q, q_regex in patterns if q != p
                       and out.get(q, q) == q
                       # a cheap necessary condition for the way the regexes are
                       # written (a miss only costs the saving, never a match)
                       and _bare(q_regex) in p_regex
                       and _contains(tree(p, p_regex), tree(q, q_regex))), p)
    for name in out:                # a cover may itself be covered by a later pattern
        while out[out[name]] != out[name]:
            out[name] = out[out[name]]
    return tuple(out.items())


def _bare(regex: str) -> str:
    """``regex`` without leading global inline flags such as `(?i)`."""
    import re
    return re.sub(r"^\(\?[aiLmsux]+\)", "", regex)


# Characters rare in prose and data: a pattern that must contain one of them is
# prefiltered by that character and the one after it (see `anchor`).
_RARE = frozenset("@#$%&*+=<>{}|\\^~`")


def anchor(regex: str) -> str | None:
    """A cheap expression every match of ``regex`` contains, or None: a rare
    character that is a mandatory element of the pattern (reached through plain
    groups only) and one occurrence of the element after it, which must repeat at
    least once.  presidio's email pattern becomes `@` and one word character,
    instead of a local part hyperscan tracks from every word start.  Character
    categories take any non-ASCII byte too (Python's are Unicode, hyperscan's here
    ASCII), so the expression matches a superset; it is compiled exactly.  A
    candidate ends inside its match, so in the same line (presidio's matches do
    not cross the units it is given)."""
    import re
    from re import _parser
    from re._constants import LITERAL, SUBPATTERN
    todo = [_parser.parse(regex).data]
    while todo:
        data = todo.pop(0)
        for i, (op, av) in enumerate(data[:-1]):
            if op is LITERAL and chr(av) in _RARE:
                after = _one(data[i + 1])
                if after is not None:
                    return re.escape(chr(av)) + after
        todo.extend(av[3].data for op, av in data if op is SUBPATTERN and av[1] == av[2] == 0)
    return None


def _one(item) -> str | None:
    """One occurrence of a mandatory element, as a byte-level character class."""
    from re._constants import IN, LITERAL, MAX_REPEAT, MIN_REPEAT
    op, av = item
    if op in (MAX_REPEAT, MIN_REPEAT):
        lo, _, sub = av
        return _one(sub.data[0]) if lo >= 1 and len(sub.data) == 1 else None
    if op is LITERAL:
        return "[" + _class_char(av) + "]"
    if op is IN:
        parts = [_class_item(i) for i in av]
        return None if None in parts else "[" + "".join(parts) + "]"
    return None


def _class_item(item) -> str | None:
    from re._constants import CATEGORY, LITERAL, RANGE
    from re._constants import CATEGORY_DIGIT, CATEGORY_SPACE, CATEGORY_WORD
    op, av = item
    if op is LITERAL:
        return _class_char(av)
    if op is RANGE:
        lo, hi = av
        if hi > 0x7F:
            return _class_char(lo) + "-\\x7f\\x80-\\xff"
        return _class_char(lo) + "-" + _class_char(hi)
    if op is CATEGORY:
        cat = {CATEGORY_WORD: "\\w", CATEGORY_DIGIT: "\\d", CATEGORY_SPACE: "\\s"}.get(av)
        return None if cat is None else cat + "\\x80-\\xff"
    return None                     # negated classes and the rest: no anchor


def _class_char(code: int) -> str:
    return f"\\x{code:02x}" if code < 0x80 else "\\x80-\\xff"


def _contains(outer, inner) -> bool:
    """Whether ``inner``'s parse is a run of ``outer``'s elements, reached through
    plain groups only (matched exactly once: no alternation, repeat, assertion or
    scoped flags on the way), under the same global flags."""
    from re._constants import SUBPATTERN
    if outer.state.flags != inner.state.flags:
        return False
    want = _shape(inner.data)
    todo = [outer.data]
    while todo:
        data = todo.pop()
        seq = _shape(data)
        if any(seq[i:i + len(want)] == want for i in range(len(seq) - len(want) + 1)):
            return True
        todo.extend(av[3].data for op, av in data
                    if op is SUBPATTERN and av[1] == av[2] == 0)
    return False


def _shape(data) -> tuple:
    """A parsed regex as nested tuples, group numbers left out."""
    from re._constants import SUBPATTERN
    from re._parser import SubPattern

    def conv(av):
        if isinstance(av, SubPattern):
            return _shape(av.data)
        if isinstance(av, (list, tuple)):
            return tuple(conv(x) for x in av)
        return av
    return tuple((op, (None,) + conv(av[1:]) if op is SUBPATTERN else conv(av))
                 for op, av in data)
