"""PII findings stored with commits: META objects and the commit's `pii` record.

The commit gate stores the findings of each blob it scanned as one META object
(canonical JSON: options key, rows of entity/line/field/offsets/score/masked
preview; never a value) and puts in the commit's lineage a record

    {"type": "pii", "version": 1, "options": KEY, "findings": {blob_hex: meta_hex}}

so the findings are encrypted like every object, reachable from the commit (gc
keeps them, fsck checks them, push and clone carry them), and a clone answers
`ldv scan REV` for a recorded blob without running presidio.  KEY is the keyed
options digest of scan.py: findings recorded under other options are not used.
This module imports nothing heavy (no presidio), so reading records stays cheap.
"""
from __future__ import annotations

import json
from collections import deque

from ldv.plumbing.errors import CorruptObject, ObjectNotFound
from ldv.plumbing.objects import read_commit
from ldv.plumbing.odb import ObjType

from .scanner import Finding

RECORD_TYPE = "pii"
RECORD_VERSION = 1
META_KIND = "ldv.pii.findings"
MAX_COMMITS = 10_000     # history walked for recorded findings (bounds a scan's cost)


def encode_findings(options_key: str, findings: list[Finding]) -> bytes:
    """The canonical META payload of one blob's findings (the path is not kept:
    the same blob may sit at many paths)."""
    rows = []
    for f in sorted(findings, key=lambda f: (f.line, f.field or "", f.start, f.end, f.entity)):
        d = f.to_json()
        d.pop("path")
        d["score"] = f.score
        rows.append(d)
    doc = {"kind": META_KIND, "version": RECORD_VERSION, "options": options_key,
           "findings": rows}
    return json.dumps(doc, sort_keys=True, separators=(",", ":")).encode()


def decode_findings(data: bytes, path: str) -> tuple[str, list[Finding]]:
    """(options key, findings placed at ``path``) of a META payload."""
    try:
        doc = json.loads(data)
        if doc.get("kind") != META_KIND or doc.get("version") != RECORD_VERSION:
            raise ValueError("not a findings object")
        return doc["options"], [Finding(path=path, **d) for d in doc["findings"]]
    except (ValueError, TypeError, KeyError, AttributeError):
        raise CorruptObject("META object is not a PII findings record") from None


def store(odb, options_key: str, by_blob: dict[bytes, list[Finding]]) -> dict | None:
    """Write one META object per blob; return the commit record naming them."""
    if not by_blob:
        return None
    refs = {oid.hex(): odb.put(ObjType.META, encode_findings(options_key, found)).hex()
            for oid, found in sorted(by_blob.items())}
    return {"type": RECORD_TYPE, "version": RECORD_VERSION, "options": options_key,
            "findings": refs}


def _records(lineage: list) -> list[dict]:
    return [r for r in lineage if isinstance(r, dict) and r.get("type") == RECORD_TYPE
            and r.get("version") == RECORD_VERSION and isinstance(r.get("findings"), dict)]


def meta_ids(lineage: list) -> list[bytes]:
    """META ids a commit's records reference (reachability: gc, fsck, push)."""
    out = []
    for r in _records(lineage):
        for meta in r["findings"].values():
            try:
                out.append(bytes.fromhex(meta))
            except (TypeError, ValueError):
                raise CorruptObject(f"pii record names a bad object id {meta!r}") from None
    return out


class RecordedFindings:
    """Findings recorded by commits in a revision's history, by blob id.  The
    history is walked lazily, on the first question, newest first, at most
    MAX_COMMITS commits (a shallow clone's missing parents end the walk)."""

    def __init__(self, odb, commit_oid: bytes, options_key: str):
        self.odb, self.start, self.options = odb, commit_oid, options_key
        self._metas: dict[str, str] | None = None

    def _load(self) -> dict[str, str]:
        metas: dict[str, str] = {}
        seen, todo = set(), deque([self.start])
        while todo and len(seen) < MAX_COMMITS:
            oid = todo.popleft()
            if oid in seen:
                continue
            seen.add(oid)
            try:
                c = read_commit(self.odb, oid)
            except ObjectNotFound:
                continue
            for r in _records(c.lineage):
                if r.get("options") == self.options:
                    for blob, meta in r["findings"].items():
                        metas.setdefault(blob, meta)
            todo.extend(c.parents)
        return metas

    def get(self, oid: bytes, path: str) -> list[Finding] | None:
        if self._metas is None:
            self._metas = self._load()
        meta = self._metas.get(oid.hex())
        if meta is None:
            return None
        try:
            _kind, data = self.odb.get(bytes.fromhex(meta))
        except ObjectNotFound:
            return None         # e.g. not fetched: scanning again is always correct
        options, found = decode_findings(data, path)
        return found if options == self.options else None
