"""Builders shared by the object-store tests: a small-pack store, JSONL-like text,
filled stores and version chains."""
from __future__ import annotations

import random

from hypothesis import strategies as st

from ldv.plumbing.backends.local import LocalBackend
from ldv.plumbing.keys import Keyring
from ldv.plumbing.object_store import PackedObjectDatabase
from ldv.plumbing.odb import ObjType

RING = Keyring.generate()


def make_store(root, ring=RING, **kw):
    kw.setdefault("pack_size", 64 << 10)
    return PackedObjectDatabase(LocalBackend(root / "objects"), ring,
                                root / "objects" / "pack-index", root / "locks", **kw)


_VOCAB = [bytes(random.Random(i).choices(b"abcdefghijklmnopqrstuvwxyz", k=2 + i % 9))
          for i in range(2000)]


def text(rng: random.Random, n: int) -> bytes:
    """JSONL-like text: compressible, but not so repetitive that zstd's greedy
    parser prefers short local matches over the long dictionary ones."""
    out, size = [], 0
    while size < n:
        line = b'{"id": %d, "text": "%s"}\n' % (
            rng.randrange(10 ** 6), b" ".join(rng.choices(_VOCAB, k=rng.randint(5, 40))))
        out.append(line)
        size += len(line)
    return b"".join(out)[:n]


def fill(store, n=40, seed=1):
    rng = random.Random(seed)
    objs = {}
    for i in range(n):
        t = ObjType.CHUNK if i % 3 else ObjType.TREE
        data = text(rng, rng.randint(0, 6000)) if i % 2 else rng.randbytes(rng.randint(1, 6000))
        objs[store.put(t, data)] = (t, data)
    store.flush()
    return objs


def version_chain(store, n, seed=3):
    rng = random.Random(seed)
    data = text(rng, 20000)
    ids, prev = [], None
    for i in range(n):
        pos = rng.randrange(len(data) - 20)
        data = data[:pos] + b"v%03d" % i + data[pos + 4:]
        prev = store.put(ObjType.CHUNK, data, delta_base=prev)
        ids.append((prev, data))
    return ids


# (id, type, encoding, body) tuples with distinct ids, for pack round-trips
entries_st = st.lists(st.tuples(st.binary(min_size=32, max_size=32), st.integers(1, 8),
                                st.sampled_from([0, 1, 2]), st.binary(max_size=300)),
                      max_size=20, unique_by=lambda t: t[0])
