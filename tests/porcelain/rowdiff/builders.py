"""Builders of dataset versions whose differences are known exactly, and small
helpers the row-diff tests share."""
from __future__ import annotations

import json
import random
from dataclasses import dataclass, field
from collections import Counter
from pathlib import Path

import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from ldv.porcelain.rowdiff.formats import StreamFS


@dataclass
class Versions:
    old: list[dict]
    new: list[dict]
    added: set = field(default_factory=set)
    removed: set = field(default_factory=set)
    modified: dict = field(default_factory=dict)  # id -> set of changed columns

    def per_column(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for cols in self.modified.values():
            for c in cols:
                out[c] = out.get(c, 0) + 1
        return out


def make_versions(n: int, seed: int, *, n_add: int, n_remove: int,
                  n_modify: int) -> Versions:
    """``n`` rows keyed by ``id``; then remove, modify and add exactly as asked."""
    rnd = random.Random(seed)
    old = [{"id": i, "name": f"name-{rnd.randrange(10**6)}",
            "score": round(rnd.uniform(0, 100), 3),
            "tag": rnd.choice(["a", "b", None])} for i in range(n)]
    ids = [r["id"] for r in old]
    rnd.shuffle(ids)
    removed = set(ids[:n_remove])
    to_modify = ids[n_remove:n_remove + n_modify]
    new, modified = [], {}
    by_id = {r["id"]: dict(r) for r in old}
    for i in to_modify:
        cols = rnd.choice([("name",), ("score",), ("name", "score"), ("tag",)])
        row = by_id[i]
        for c in cols:
            if c == "name":
                row["name"] = row["name"] + "-edited"
            elif c == "score":
                row["score"] = row["score"] + 1.5
            else:
                row["tag"] = "z" if row["tag"] is None else None
        modified[i] = set(cols)
    new = [by_id[r["id"]] for r in old if r["id"] not in removed]
    added = set(range(n, n + n_add))
    new += [{"id": i, "name": f"new-{i}", "score": 1.0, "tag": "c"} for i in sorted(added)]
    rnd.shuffle(new)  # row order must not matter
    return Versions(old, new, added, removed, modified)


def write(rows: list[dict], path: Path, fmt: str, columns: list[str] | None = None) -> Path:
    """Write ``rows`` as Parquet, CSV or JSONL (``columns`` fixes the column set)."""
    columns = columns or (list(rows[0]) if rows else ["id"])
    if fmt == "jsonl":
        path.write_text("".join(json.dumps({c: r.get(c) for c in columns}) + "\n"
                                for r in rows))
        return path
    if rows:
        table = pa.Table.from_pylist([{c: r.get(c) for c in columns} for r in rows])
    else:  # from_pylist([]) would have no columns at all
        table = pa.table({c: pa.array([], pa.string()) for c in columns})
    if fmt == "parquet":
        pq.write_table(table, path)
    else:
        pacsv.write_csv(table, path)
    return path


def flat(d: dict, prefix: str = "") -> dict:
    """Nested dicts as one level ("a.b" keys), so that pytest.approx compares
    drift statistics (their means summed in another order)."""
    out = {}
    for k, v in d.items():
        if isinstance(v, dict):
            out.update(flat(v, f"{prefix}{k}."))
        else:
            out[f"{prefix}{k}"] = v
    return out


class CountingFS(StreamFS):
    """StreamFS that counts the bytes DuckDB reads of each file (``read``)."""

    protocol = "ldvcounted"

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.read: Counter = Counter()

    def read_range(self, key: str, start: int, end: int) -> bytes:
        data = super().read_range(key, start, end)
        self.read[key] += len(data)
        return data
