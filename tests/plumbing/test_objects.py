"""Commits, tags and the canonical primitives: round-trips and rejection of bad bytes."""
from __future__ import annotations

import pytest
from hypothesis import given, settings, strategies as st

from ldv.plumbing.errors import CorruptObject, WrongObjectType, BadInput
from ldv.plumbing.objects import (Commit, Decoder, Encoder, Tag, read_commit, read_tag,
                                  write_commit, write_tag)
from ldv.plumbing.odb import MemoryObjectDatabase, ObjType

oids = st.binary(min_size=32, max_size=32)
text = st.text(st.characters(blacklist_categories=("Cs",)), max_size=40)
i64 = st.integers(-(1 << 63), (1 << 63) - 1)
json_scalar = st.none() | st.booleans() | st.integers(-10**12, 10**12) | text
json_value = st.recursive(json_scalar, lambda inner: st.lists(inner, max_size=3)
                          | st.dictionaries(text, inner, max_size=3), max_leaves=8)
commits = st.builds(Commit, oids, st.lists(oids, max_size=3), text, i64, st.integers(-900, 900),
                    text, i64, st.integers(-900, 900), text,
                    st.lists(st.dictionaries(text, json_value, max_size=3), max_size=3))
tags = st.builds(Tag, oids, st.sampled_from(list(ObjType)), text, text, i64,
                 st.integers(-900, 900), text)


def make_commit(**kw) -> Commit:
    base = dict(tree=bytes(32), parents=[], author="A <a@x>", author_time=1700000000,
                author_tz=60, committer="A <a@x>", commit_time=1700000001, commit_tz=-300,
                message="first", lineage=[{"inputs": ["raw/"], "command": "make"}])
    base.update(kw)
    return Commit(**base)


@settings(max_examples=60, deadline=None)
@given(commits)
def test_commit_round_trip(c):
    data = c.serialize()
    assert Commit.parse(data) == c
    assert c.serialize() == data


@settings(max_examples=60, deadline=None)
@given(tags)
def test_tag_round_trip(t):
    assert Tag.parse(t.serialize()) == t


@settings(max_examples=100, deadline=None)
@given(st.integers(0, (1 << 64) - 1), i64)
def test_varints_round_trip(u, s):
    e = Encoder()
    e.u(u)
    e.s(s)
    d = Decoder(e.done())
    assert (d.u(), d.s()) == (u, s)
    d.end()


def test_lineage_key_order_does_not_change_the_id():
    odb = MemoryObjectDatabase()
    a = write_commit(odb, make_commit(lineage=[{"a": 1, "b": 2}]))
    b = write_commit(odb, make_commit(lineage=[{"b": 2, "a": 1}]))
    assert a == b
    assert write_commit(odb, make_commit(message="other")) != a


def test_read_commit_and_tag_through_the_odb():
    odb = MemoryObjectDatabase()
    c = make_commit(parents=[bytes(range(32))])
    oid = write_commit(odb, c)
    assert read_commit(odb, oid) == c
    t = Tag(oid, ObjType.COMMIT, "v1", "T <t@x>", 5, 0, "release")
    toid = write_tag(odb, t)
    assert read_tag(odb, toid) == t
    with pytest.raises(WrongObjectType):
        read_commit(odb, toid)
    with pytest.raises(WrongObjectType):
        read_tag(odb, oid)


@settings(max_examples=60, deadline=None)
@given(commits, st.data())
def test_damaged_commit_never_parses_to_other_content(c, data):
    raw = bytearray(c.serialize())
    i = data.draw(st.integers(0, len(raw) - 1))
    raw[i] ^= data.draw(st.integers(1, 255))
    try:
        again = Commit.parse(bytes(raw))
    except CorruptObject:
        return
    # a flip may land in a free-form field and still parse; then it must be
    # canonical and different, never silently equal
    assert again != c and again.serialize() == bytes(raw)


@pytest.mark.parametrize("raw", [b"", b"\x02" + bytes(40), b"\x01" + bytes(10),
                                 b"\x01" + bytes(32) + b"\x80\x00"])
def test_malformed_commits_are_corrupt(raw):
    with pytest.raises(CorruptObject):
        Commit.parse(raw)


def test_trailing_bytes_and_non_canonical_json_are_rejected():
    data = make_commit().serialize()
    with pytest.raises(CorruptObject):
        Commit.parse(data + b"\x00")
    c = make_commit(lineage=[])
    raw = c.serialize()
    # re-encode the lineage with spaces: same JSON value, other bytes
    assert raw.endswith(b"\x02[]")
    bad = raw[:-3] + b"\x03[ ]"
    with pytest.raises(CorruptObject):
        Commit.parse(bad)


def test_unencodable_values_are_bad_input():
    with pytest.raises(BadInput):
        make_commit(message="\udc80").serialize()
    with pytest.raises(BadInput):
        make_commit(lineage=[{"x": float("nan")}]).serialize()
    with pytest.raises(BadInput):
        make_commit(tree=b"short").serialize()
