"""The commit gate: `ldv config set pii.on_commit off|warn|block`.

With `warn` or `block`, commit scans the files the index adds or changes (not
the whole tree: unchanged files were checked when they were committed) with the
same options as `ldv scan` (pii.threshold, pii.entities, `.ldvpii`).  The scan
fills the findings cache, and its findings are stored with the commit (META
objects named by a `pii` lineage record, records.py), so `ldv scan REV` of the
new commit reads them back, here or in any clone.
`block` refuses the commit and names where; `warn` leaves one line per finding
in ``ws.pii_warnings`` for the CLI to print.
"""
from __future__ import annotations

from ldv.plumbing.errors import BadInput, GateTripped

MODES = ("off", "warn", "block")
SHOWN = 5


def mode_of(repo) -> str:
    mode = (repo.config.get("pii.on_commit") or "off").strip().lower()
    if mode not in MODES:
        raise BadInput(f"pii.on_commit is {mode!r}",
                       hint="ldv config set pii.on_commit off|warn|block")
    return mode


def check_commit(ws, index, head_tree) -> list[dict]:
    """Scan what this commit adds; raise GateTripped in block mode if PII is found.
    Returns the lineage records the commit carries (the stored findings)."""
    ws.pii_warnings = []
    mode = mode_of(ws.repo)
    if mode == "off":
        return []
    from .allowlist import Allowlist
    from .scan import scan_blobs
    from .scanner import ScanOptions
    head = ws.files_of(head_tree)
    changed = [(e.path, e.oid) for e in index
               if (head.get(e.path) is None or head[e.path].oid != e.oid) and not _link(e)]
    if not changed:
        return []
    options = ScanOptions(entities=_entities(ws.repo), threshold=_threshold(ws.repo),
                          allowlist=Allowlist.load(ws.root))
    result = scan_blobs(ws.repo, changed, options)
    found = result.findings
    lines = [_where(f) for f in sorted(found, key=lambda f: (f.path, f.line, f.start))]
    if found and mode == "block":
        more = f" and {len(lines) - SHOWN} more" if len(lines) > SHOWN else ""
        raise GateTripped(
            f"commit refused: {len(found)} PII finding(s) in staged files: "
            + "; ".join(lines[:SHOWN]) + more,
            hint="remove or anonymize them, list allowed values in .ldvpii, or "
                 "`ldv config set pii.on_commit warn`; details: `ldv scan`")
    ws.pii_warnings = [f"PII: {line}" for line in lines]
    from .records import store
    record = store(ws.repo.odb, result.options_key, result.by_blob)
    return [record] if record else []


def _where(f) -> str:
    field = f" {f.field}" if f.field else ""
    return f"{f.path}:{f.line}{field} {f.entity} ({f.score:.2f}) {f.preview}"


def _link(entry) -> bool:
    from ldv.plumbing.objects import MODE_SYMLINK
    return entry.mode == MODE_SYMLINK


def _threshold(repo) -> float:
    text = repo.config.get("pii.threshold")
    try:
        return 0.4 if text is None else float(text)
    except ValueError:
        raise BadInput(f"pii.threshold is not a number: {text!r}",
                       hint="ldv config set pii.threshold 0.5") from None


def _entities(repo) -> set[str] | None:
    text = repo.config.get("pii.entities")
    return {e.strip().upper() for e in text.split(",") if e.strip()} if text else None
