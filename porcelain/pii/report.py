"""Rendering findings as text, JSON or SARIF 2.1.0, and the masked preview.

Reports carry masked previews only: `mask` keeps the length's shape and at most
the first and last character of long values, never the value.
"""
from __future__ import annotations

import json


def mask(value: str) -> str:
    """`jane.doe@example.com` -> `j******************m`; short values fully masked."""
    n = len(value)
    if n < 8:
        return "*" * n
    return value[0] + "*" * (n - 2) + value[-1]


def summary(findings) -> dict[str, int]:
    counts: dict[str, int] = {}
    for f in findings:
        counts[f.entity] = counts.get(f.entity, 0) + 1
    return dict(sorted(counts.items()))


def render(findings, fmt: str, notes: list[str] | None = None) -> str:
    findings = sorted(findings, key=lambda f: (f.path, f.line, f.field or "", f.start))
    if fmt == "json":
        return json.dumps({"findings": [f.to_json() for f in findings],
                           "summary": summary(findings), "notes": notes or []},
                          indent=2) + "\n"
    if fmt == "sarif":
        return json.dumps(sarif(findings, notes or []), indent=2) + "\n"
    return text(findings, notes or [])


def text(findings, notes: list[str]) -> str:
    lines = []
    for f in findings:
        where = f"{f.path}:{f.line}" + (f" {f.field}" if f.field else "")
        lines.append(f"{where} [{f.start}:{f.end}] {f.entity} {f.score:.2f} {f.preview}")
    if findings:
        counts = ", ".join(f"{k} {v}" for k, v in summary(findings).items())
        lines.append(f"{len(findings)} finding(s): {counts}")
    else:
        lines.append("no PII found")
    lines.extend(f"note: {n}" for n in notes)
    return "\n".join(lines) + "\n"


def sarif(findings, notes: list[str]) -> dict:
    """SARIF 2.1.0: one rule per entity type, one result per finding."""
    rules = sorted({f.entity for f in findings})
    results = []
    for f in findings:
        region = {"startLine": f.line, "startColumn": f.start + 1, "endColumn": f.end + 1}
        msg = f"{f.entity} (score {f.score:.2f}): {f.preview}"
        if f.field:
            msg += f" in {f.field}"
        results.append({
            "ruleId": f.entity, "level": "error" if f.score >= 0.8 else "warning",
            "message": {"text": msg},
            "locations": [{"physicalLocation": {"artifactLocation": {"uri": f.path},
                                                "region": region}}],
            "properties": {"field": f.field, "score": f.score, "recognizer": f.recognizer},
        })
    run = {"tool": {"driver": {"name": "ldv-pii",
                               "rules": [{"id": r, "shortDescription": {"text": f"{r} detected"}}
                                         for r in rules]}},
           "results": results}
    if notes:
        run["invocations"] = [{"executionSuccessful": True, "toolExecutionNotifications":
                               [{"message": {"text": n}} for n in notes]}]
    return {"$schema": "https://json.schemastore.org/sarif-2.1.0.json", "version": "2.1.0",
            "runs": [run]}
