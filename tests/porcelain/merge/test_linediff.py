"""linediff: the change script always turns a into b, and is minimal on small inputs."""
from __future__ import annotations

import difflib

from hypothesis import given, settings
from hypothesis import strategies as st

from ldv.porcelain.merge.linediff import bogosqrt, diff

lines = st.lists(st.sampled_from([b"a\n", b"b\n", b"c\n", b"\n", b"d"]), max_size=30)


def apply(a, b, script):
    out, i = [], 0
    for c in script:
        out += a[i:c.i1] + b[c.i2:c.i2 + c.chg2]
        i = c.i1 + c.chg1
    return out + a[i:]


@settings(max_examples=200, deadline=None, database=None)
@given(a=lines, b=lines)
def test_script_turns_a_into_b_and_changes_are_ordered(a, b):
    script = diff(a, b)
    assert apply(a, b, script) == b
    for x, y in zip(script, script[1:]):
        # groups are separated by at least one unchanged line on both sides
        assert x.i1 + x.chg1 < y.i1 and x.i2 + x.chg2 < y.i2


@settings(max_examples=200, deadline=None, database=None)
@given(a=lines, b=lines)
def test_small_diffs_are_minimal(a, b):
    """Below xdiff's cost cut-offs the edit distance is optimal: it never exceeds
    what difflib's (not always minimal) matching gives."""
    ours = sum(c.chg1 + c.chg2 for c in diff(a, b))
    sm = difflib.SequenceMatcher(None, a, b, autojunk=False)
    theirs = sum((i2 - i1) + (j2 - j1) for op, i1, i2, j1, j2 in sm.get_opcodes()
                 if op != "equal")
    assert ours <= theirs


def test_bogosqrt_is_a_power_of_two_at_least_the_root():
    for n in (0, 1, 3, 4, 15, 16, 1000, 10**6):
        r = bogosqrt(n)
        assert r & (r - 1) == 0 and r * r >= n
