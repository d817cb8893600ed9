"""Per-column drift and chat statistics against values computed in Python."""
from __future__ import annotations

import json
import statistics

import pytest

from ldv.porcelain.rowdiff import diff_rows

from .builders import write


def _rows(n: int, shift: float):
    return [{"id": i, "x": None if i % 4 == 0 else i * 1.0 + shift,
             "s": "w" * (i % 10), "flag": i % 3 == 0,
             "day": f"2024-01-{1 + i % 28:02d}"} for i in range(n)]


def test_numeric_text_bool_stats(tmp_path):
    old, new = _rows(200, 0.0), _rows(240, 10.0)
    po = write(old, tmp_path / "o.parquet", "parquet")
    pn = write(new, tmp_path / "n.parquet", "parquet")
    d = diff_rows(po, pn, key=["id"], threads=1)
    for rows, side in ((old, "old"), (new, "new")):
        xs = [r["x"] for r in rows if r["x"] is not None]
        st = d.drift["x"][side]
        assert st["null_fraction"] == pytest.approx(1 - len(xs) / len(rows))
        assert st["min"] == min(xs) and st["max"] == max(xs)
        assert st["mean"] == pytest.approx(statistics.fmean(xs))
        # HyperLogLog: approximate, but close on a few hundred values.
        assert abs(st["distinct"] - len(set(xs))) <= 0.05 * len(set(xs))
        lengths = [len(r["s"]) for r in rows]
        ln = d.drift["s"][side]["length"]
        assert (ln["min"], ln["max"]) == (min(lengths), max(lengths))
        assert ln["mean"] == pytest.approx(statistics.fmean(lengths))
        assert min(lengths) <= ln["p50"] <= ln["p90"] <= ln["p99"] <= max(lengths)
        assert d.drift["flag"][side]["true_fraction"] == pytest.approx(
            sum(r["flag"] for r in rows) / len(rows))
    assert d.drift["s"]["old"]["null_fraction"] == 0.0


def test_drift_of_a_column_in_one_version_only(tmp_path):
    po = write([{"id": 1, "a": 1}], tmp_path / "o.parquet", "parquet")
    pn = write([{"id": 1, "b": "t"}], tmp_path / "n.parquet", "parquet")
    d = diff_rows(po, pn, threads=1)
    assert list(d.drift) == ["id", "a", "b"]
    assert d.drift["a"]["new"] is None and d.drift["b"]["old"] is None
    assert diff_rows(po, pn, drift=False).drift == {}


def _chat(rng_rows):
    return [{"id": i, "messages": [{"role": r, "content": c} for r, c in convo]}
            for i, convo in rng_rows]


def _expected(rows, tokens):
    out = {"messages": 0, "tokens": 0, "bytes": 0, "by_role": {}}
    for r in rows:
        for m in r["messages"]:
            role = out["by_role"].setdefault(m["role"], {"messages": 0, "tokens": 0, "bytes": 0})
            for tgt in (out, role):
                tgt["messages"] += 1
                tgt["tokens"] += tokens(m["content"])
                tgt["bytes"] += len(m["content"].encode())
    return out


def test_chat_message_token_and_byte_counts(tmp_path):
    old = _chat([(i, [("system", "be brief"), ("user", f"question {i} ?"),
                      ("assistant", "  an   answer\twith tabs  ")]) for i in range(20)])
    new = _chat([(i, [("user", f"question {i} ?"), ("assistant", "short"),
                      ("user", "héllo wörld"), ("assistant", "")]) for i in range(25)])
    po = write(old, tmp_path / "o.jsonl", "jsonl")
    pn = write(new, tmp_path / "n.jsonl", "jsonl")
    for tokenizer, count in ((None, lambda s: len(s.split())), (len, len)):
        d = diff_rows(po, pn, key=["id"], tokenizer=tokenizer, threads=1)
        for rows, side in ((old, "old"), (new, "new")):
            exp = _expected(rows, count)
            got = d.chat[side]
            assert {k: got[k] for k in exp} == exp
            assert got["messages_per_row"] == pytest.approx(exp["messages"] / len(rows))
        assert d.chat["delta"] == {k: d.chat["new"][k] - d.chat["old"][k]
                                   for k in ("messages", "tokens", "bytes")}
        assert d.chat["tokenizer"] == ("whitespace" if tokenizer is None else "len")
        assert d.columns_changed == {"messages": 20}
        json.dumps(d.to_dict(), allow_nan=False)


def test_no_chat_section_for_other_files(tmp_path):
    po = write([{"id": 1, "messages": "not a list"}], tmp_path / "o.jsonl", "jsonl")
    assert diff_rows(po, po).chat is None


def test_drift_is_the_same_with_and_without_a_key(tmp_path):
    old, new = _rows(300, 0.0), _rows(280, 5.0)
    new = [dict(r, extra=i) for i, r in enumerate(new)]
    po = write(old, tmp_path / "o.jsonl", "jsonl")
    pn = write(new, tmp_path / "n.jsonl", "jsonl")
    keyed = diff_rows(po, pn, key=["id"], sample=0, threads=2).drift
    scanned = diff_rows(po, pn, threads=2).drift
    assert list(keyed) == list(scanned) == ["id", "x", "s", "flag", "day", "extra"]
    for col in keyed:
        for side in ("old", "new"):
            a, b = keyed[col][side], scanned[col][side]
            if a is None or b is None:
                assert a is b is None
                continue
            assert a["type"] == b["type"] and a["null_fraction"] == b["null_fraction"]
            for k in ("min", "max", "mean", "true_fraction"):
                if k in a:
                    assert a[k] == pytest.approx(b[k])
            if "length" in a:
                assert (a["length"]["min"], a["length"]["max"]) == \
                    (b["length"]["min"], b["length"]["max"])
