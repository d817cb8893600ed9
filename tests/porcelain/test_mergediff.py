"""The record conflicts a stopped merge keeps, and their combined-diff rendering."""
from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from ldv.porcelain.merge import RecordConflict
from ldv.porcelain.mergediff import RecordConflicts, labels_of
from ldv.porcelain.mergestate import MergeState, PathConflict, conflict_records

side = st.one_of(st.none(), st.binary(max_size=40))


def test_conflict_records_are_bounded_in_count_and_bytes():
    many = [RecordConflict(f"id={i}", "modify/modify", b"b" * 10, b"o" * 10, b"t" * 10)
            for i in range(50)]
    assert len(conflict_records(many)) == 50
    assert [r[0] for r in conflict_records(many, limit=7)] == [f"id={i}" for i in range(7)]
    # each record costs its sides and key: 30 + 4 or 5 bytes
    kept = conflict_records(many, budget=100)
    assert [r[0] for r in kept] == ["id=0", "id=1"]
    assert conflict_records([RecordConflict("k", "add/add", None, b"x" * 99, b"y")],
                            budget=50) == []


@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(side, side, side), max_size=6))
def test_kept_records_survive_the_sealed_state(sides):
    conflicts = [RecordConflict(f"@{i}", "modify/modify", *s) for i, s in enumerate(sides)]
    kept = conflict_records(conflicts)
    pc = PathConflict("t.jsonl", "UU", "content", None, None, None, driver="records",
                      keys=[c.key for c in conflicts], key_count=len(conflicts), records=kept)
    state = MergeState("merge", b"\1" * 32, b"\2" * 32, "side", "m", ["t.jsonl"],
                       {"t.jsonl": pc})
    back = MergeState.loads(state.dumps()).conflicts["t.jsonl"].records
    assert back == kept
    for (b, o, t), (_k, _kind, *text) in zip(sides, back):
        assert text == [None if x is None else x.decode("utf-8", "replace")
                        for x in (b, o, t)]


def test_render_marks_every_line_and_absent_sides():
    rc = RecordConflicts("t.csv", 3, [["id=1", "add/add", None, "1,a", None],
                                      ["id=2", "modify/delete", "2,x\r\n", "2,\"p\nq\"", None]],
                         ("merge base", "HEAD", "side"))
    assert rc.render() == (
        "diff --records t.csv\n"
        "3 conflicting records; - base (merge base), < ours (HEAD), > theirs (side)\n"
        "@@@ id=1 @@@ add/add\n- (absent)\n< 1,a\n> (absent)\n"
        "@@@ id=2 @@@ modify/delete\n- 2,x\n< 2,\"p\n< q\"\n> (deleted)\n"
        "... 1 more conflicting record(s) not kept in the merge state "
        "(`ldv diff --rows` compares all)\n")
    doc = rc.to_json()
    assert doc["truncated"] and doc["conflicts"] == 3 and len(doc["records"]) == 2


def test_labels_name_the_sides_as_the_markers_do():
    def state(kind):
        return MergeState(kind, b"\1" * 32, b"\2" * 32, "abc1234", "m", [], {})
    assert labels_of(state("merge")) == ("merge base", "HEAD", "abc1234")
    assert labels_of(state("cherry-pick")) == ("parent of abc1234", "HEAD", "abc1234")
    assert labels_of(state("revert")) == ("abc1234", "HEAD", "parent of abc1234")


def test_a_state_written_before_records_were_kept_still_loads():
    import json
    pc = PathConflict("t.jsonl", "UU", "content", None, None, None, driver="records")
    d = pc.to_json()
    del d["records"]
    s = MergeState("merge", b"\1" * 32, b"\2" * 32, "side", "m", [], {})
    old = json.loads(s.dumps())
    del old["lineage"]
    old["conflicts"] = [d]
    back = MergeState.loads(json.dumps(old).encode())
    assert back.lineage == [] and back.conflicts["t.jsonl"].records == []
