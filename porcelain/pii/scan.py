"""`ldv scan` and the commit gate: which files to scan, and the findings cache.

Findings of a committed file are cached by blob id in a sealed file
(`.ldv/pii/<options>/<blob>`, encrypted under the repository's seal key), so a
second scan of an unchanged file reads one small file instead of the data.  The
cache holds masked previews and offsets only, and its key includes the engine's
version and the scan options (entities, threshold, allowlist), so a change to any
of them is a miss, never a stale answer.
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path

from ldv.plumbing.blobs import open_blob
from ldv.plumbing.index import load_index
from ldv.plumbing.objects import read_commit
from ldv.plumbing.trees import walk

from .formats import scan_stream
from .registry import CompiledStore
from .scanner import Finding, ScanOptions, Scanner

CACHE_FORMAT = 1


@dataclass
class ScanResult:
    findings: list[Finding] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    files: int = 0
    cached: int = 0
    by_blob: dict[bytes, list[Finding]] = field(default_factory=dict)   # what the gate records
    options_key: str | None = None          # keyed digest of the options (cache, records)


def _selected(path: str, paths: list[str] | None) -> bool:
    return not paths or any(_under(path, p) for p in paths)


def _under(path: str, p: str) -> bool:
    return not p or path == p or path.startswith(p.rstrip("/") + "/")


def _check_matched(paths: list[str] | None, found: list[str], where: str, hint: str) -> None:
    """BadInput for a pathspec that names no file: a typo must not read as
    "no PII found" (or an empty export), as `ldv add nosuch` refuses too."""
    from ldv.plumbing.errors import BadInput
    for p in paths or ():
        if not any(_under(path, p) for path in found):
            raise BadInput(f"pathspec {p!r} did not match any file {where}", hint=hint)


def _commit_entries(repo, commit_oid: bytes, paths) -> list:
    """(path, entry) of the commit's files under ``paths``; BadInput for a path
    that names none of them."""
    tree = read_commit(repo.odb, commit_oid).tree
    entries = [(p, e) for p, e in walk(repo.odb, tree) if _selected(p, paths)]
    short = commit_oid.hex()[:12]
    _check_matched(paths, [p for p, _e in entries], f"in commit {short}",
                   f"check the path; `ldv ls-tree -r {short}` lists its files")
    return entries


def scan_revision(repo, commit_oid: bytes, options: ScanOptions, paths=None, *,
                  use_cache: bool = True) -> ScanResult:
    """Scan every file of a commit (or those under ``paths``)."""
    entries = _commit_entries(repo, commit_oid, paths)
    blobs = [(p, e.oid) for p, e in entries if not _is_symlink(e)]
    return scan_blobs(repo, blobs, options, use_cache=use_cache, rev=commit_oid)


def scan_blobs(repo, blobs, options: ScanOptions, *, use_cache: bool = True,
               rev: bytes | None = None) -> ScanResult:
    """Scan (path, blob id) pairs, reading and filling the cache.  A miss is
    next looked up in the findings recorded by commits in ``rev``'s history
    (records.py: they travel with push and clone).  The engine (a few seconds
    of presidio start-up) is built only when both miss."""
    from .records import RecordedFindings
    from .registry import installed_ner_model, notes
    options = with_compiled(repo, options)
    result = ScanResult(notes=notes(installed_ner_model()))
    cache = FindingsCache(repo, options) if use_cache else None
    result.options_key = cache.key if cache else None
    recorded = RecordedFindings(repo.odb, rev, cache.key) if cache and rev else None
    scanner = None
    for path, oid in blobs:
        result.files += 1
        hit = cache.get(oid, path) if cache else None
        if hit is None and recorded is not None:
            hit = recorded.get(oid, path)
            if hit is not None:
                cache.put(oid, hit)
        if hit is not None:
            result.cached += 1
            result.findings.extend(hit)
            result.by_blob[oid] = hit
            continue
        scanner = scanner or Scanner(options)
        found = scan_stream(scanner, open_blob(repo.odb, oid), path)
        if cache:
            cache.put(oid, found)
        result.findings.extend(found)
        result.by_blob[oid] = found
    return result


def scan_worktree(ws, options: ScanOptions, paths=None, *, use_cache: bool = True) -> ScanResult:
    """Scan the work tree's files (tracked and untracked, .ldvignore honoured).
    A file whose stat still matches its index entry has that entry's blob id, so
    its findings come from the cache like a committed file's."""
    from ldv.porcelain import workfiles
    wanted = [ws.normalize(p) for p in paths] if paths else None
    index = load_index(ws.repo)
    known, fresh, matched = [], [], []
    for path, st in sorted(workfiles.walk(ws.root, ws.ignore)):
        if not _selected(path, wanted):
            continue
        matched.append(path)
        if not _regular(st):
            continue
        entry = index.get(path)
        if use_cache and entry is not None and entry.stat_matches(st):
            known.append((path, entry.oid))
        else:
            fresh.append(path)
    _check_matched(wanted, matched, "in the working tree",
                   "check the path; files .ldvignore matches are not scanned")
    options = with_compiled(ws.repo, options)
    result = scan_blobs(ws.repo, known, options, use_cache=use_cache,
                        rev=ws.head_commit())     # HEAD's records answer a fresh clone
    scanner = Scanner(options) if fresh else None
    for path in fresh:
        result.files += 1
        with open(ws.root / path, "rb") as f:
            result.findings.extend(scan_stream(scanner, f, path))
    return result


def staged_changes(ws) -> list[tuple[str, bytes]]:
    """(path, blob id) of files the index adds or changes against HEAD."""
    head = ws.files_of(ws.head_tree())
    out = []
    for e in load_index(ws.repo):
        old = head.get(e.path)
        if (old is None or old.oid != e.oid) and not _is_link_mode(e.mode):
            out.append((e.path, e.oid))
    return out


def _regular(st) -> bool:
    import stat
    return stat.S_ISREG(st.st_mode)


def _is_symlink(entry) -> bool:
    return _is_link_mode(entry.mode)


def _is_link_mode(mode: int) -> bool:
    from ldv.plumbing.objects import MODE_SYMLINK
    return mode == MODE_SYMLINK


def with_compiled(repo, options: ScanOptions) -> ScanOptions:
    """``options`` whose prefilter databases are kept in the repository."""
    if options.compiled is not None:
        return options
    from dataclasses import replace
    return replace(options, compiled=SealedDatabases(repo))


class SealedDatabases(CompiledStore):
    """Compiled prefilter databases, sealed in `.ldv/pii/hs/` like the findings
    cache (sealed, so a tampered file is never handed to hyperscan: it is
    rebuilt instead)."""

    def __init__(self, repo):
        self.repo = repo

    def get(self, name: str) -> bytes | None:
        from ldv.plumbing.errors import CorruptObject
        try:
            return self.repo.read_secret(name)
        except CorruptObject:
            return None

    def put(self, name: str, data: bytes) -> None:
        self.repo.write_secret(name, data)


class FindingsCache:
    """Findings per blob, sealed in `.ldv/pii/`."""

    def __init__(self, repo, options: ScanOptions):
        self.repo = repo
        self.key = _options_key(repo, options)
        self.space = "pii/" + self.key

    def get(self, oid: bytes, path: str) -> list[Finding] | None:
        raw = self.repo.read_secret(f"{self.space}/{oid.hex()}")
        if raw is None:
            return None
        return [Finding(path=path, **d) for d in json.loads(raw)]

    def put(self, oid: bytes, findings: list[Finding]) -> None:
        rows = []
        for f in findings:
            d = f.to_json()
            d.pop("path")
            d["score"] = f.score
            rows.append(d)
        self.repo.write_secret(f"{self.space}/{oid.hex()}", json.dumps(rows).encode())


def _options_key(repo, o: ScanOptions) -> str:
    """A keyed digest of everything a cached answer depends on (the allowlist may
    itself name personal values, so the digest is keyed, not plain)."""
    from .registry import PHONE_CANDIDATE, installed_ner_model
    desc = json.dumps({
        "format": CACHE_FORMAT, "presidio": _version(), "phone": PHONE_CANDIDATE,
        "entities": sorted(o.entities) if o.entities else None, "threshold": o.threshold,
        "allow_values": sorted(o.allowlist.values),
        "allow_patterns": [p.pattern for p in o.allowlist.patterns],
        "ner": installed_ner_model()}, sort_keys=True).encode()
    key = hashlib.blake2b(repo.keyring.id_key, person=b"ldv-pii-cache").digest()[:32]
    return hashlib.blake2b(desc, key=key, digest_size=12).hexdigest()


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version
    try:
        return version("presidio-analyzer")
    except PackageNotFoundError:
        return "?"


def load_allowlist(root: Path):
    from .allowlist import Allowlist
    return Allowlist.load(root)


def export_revision(repo, commit_oid: bytes, dest: Path, operator: str,
                    options: ScanOptions, paths=None) -> dict:
    """Write an anonymized copy of a commit's files under ``dest``."""
    from ldv.plumbing.errors import WouldClobber

    from .anonymize import Anonymizer, anonymize_stream, hash_key
    dest = Path(dest)
    if dest.exists() and (not dest.is_dir() or any(dest.iterdir())):
        raise WouldClobber(f"{str(dest)!r} exists and is not an empty directory",
                           hint="export into a new or empty directory")
    entries = _commit_entries(repo, commit_oid, paths)
    anon = Anonymizer(Scanner(with_compiled(repo, options)), operator,
                      hash_key(repo.keyring.id_key))
    kinds: dict[str, int] = {}
    existed = dest.exists()
    dest.mkdir(parents=True, exist_ok=True)
    try:
        for path, entry in entries:
            if _is_symlink(entry):
                continue
            kind = anonymize_stream(anon, open_blob(repo.odb, entry.oid), path, dest / path)
            kinds[kind] = kinds.get(kind, 0) + 1
    except BaseException:
        # Leave DEST as it was (absent or empty), so the export can simply be rerun
        # instead of failing on "exists and is not an empty directory".
        from ldv.porcelain.workfiles import clear_made
        clear_made(dest, existed)
        raise
    return kinds
