"""gc's deltas: encoded with REPACK_DELTA_LEVEL, smaller than put-time deltas."""
from __future__ import annotations

import json
import random

from ldv.plumbing.delta import REPACK_DELTA_LEVEL, Codec, Encoding
from ldv.plumbing.odb import ObjType

from tests.plumbing.store_builders import make_store

WORDS = "the model answer question data token train eval prompt reply user".split()


def jsonl(rnd: random.Random, n: int) -> list[bytes]:
    return [json.dumps({"id": i, "text": " ".join(rnd.choices(WORDS, k=rnd.randint(20, 80))),
                        "score": round(rnd.random(), 4)}).encode() + b"\n" for i in range(n)]


def edit(rnd: random.Random, recs: list[bytes], fraction: float) -> list[bytes]:
    """Change one word and the score of ``fraction`` of the records (the benchmark's edit)."""
    new = list(recs)
    for i in rnd.sample(range(len(new)), max(1, int(len(new) * fraction))):
        rec = json.loads(new[i])
        words = rec["text"].split()
        words[rnd.randrange(len(words))] = rnd.choice(WORDS).upper()
        rec["text"], rec["score"] = " ".join(words), round(rnd.random(), 4)
        new[i] = json.dumps(rec).encode() + b"\n"
    return new


def test_repack_level_deltas_are_much_smaller_and_decode():
    rnd = random.Random(7)
    old = jsonl(rnd, 1500)
    new = edit(rnd, old, 0.01)
    base, data = b"".join(old), b"".join(new)
    fast = Codec().encode_delta(base, data)
    strong = Codec(1, REPACK_DELTA_LEVEL)
    small = strong.encode_delta(base, data)
    assert len(small) < 0.7 * len(fast)
    assert Codec().decode(Encoding.DELTA, small, base) == data


def test_gc_writes_the_smaller_deltas(tmp_path):
    """After repack, an old version's delta is no bigger than a strong delta made
    by hand against the newer version, and far below the put-time delta."""
    rnd = random.Random(3)
    v1 = jsonl(rnd, 1200)
    v2 = edit(rnd, v1, 0.01)
    a, b = b"".join(v1), b"".join(v2)
    store = make_store(tmp_path, workers=0)
    ida = store.put(ObjType.CHUNK, a)
    idb = store.put(ObjType.CHUNK, b, delta_base=ida)
    store.flush()
    put_len = store._locate(idb).length
    store.repack([ida, idb])
    reader = make_store(tmp_path)
    e = reader._locate(ida)
    assert e.enc == Encoding.DELTA and e.base == idb
    expect = len(Codec(1, REPACK_DELTA_LEVEL).encode_delta(b, a)) + 16   # + GCM tag
    assert e.length == expect
    assert e.length < 0.7 * put_len
    assert reader.get(ida)[1] == a and reader.get(idb)[1] == b
