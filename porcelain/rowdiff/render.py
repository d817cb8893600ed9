"""Renderers of a RowDiff or TreeRowDiff: text, JSON, Markdown.

JSON is the stable, versioned document of docs/ROWDIFF.md; text is for a
terminal; Markdown is for a pull-request comment or ``$GITHUB_STEP_SUMMARY``.
Each renderer returns a string; only ldv/ prints it.
"""
from __future__ import annotations

import json
import re

from .model import RowDiff
from .tree import TreeRowDiff

_MAX_DRIFT_COLUMNS = 40  # keep a PR comment readable on wide tables
_MD_BUDGET = 55_000  # GitHub rejects comments over 65536 characters


def render(diff, fmt: str = "text", tripped: list[str] | None = None) -> str:
    """Render ``diff`` as ``fmt`` (text, json or markdown)."""
    fn = {"text": render_text, "json": render_json, "markdown": render_markdown}.get(fmt)
    if fn is None:
        from ldv.plumbing.errors import UsageError
        raise UsageError(f"unknown output format {fmt!r}", hint="use text, json or markdown")
    return fn(diff, tripped)


def render_json(diff, tripped: list[str] | None = None) -> str:
    doc = diff.to_dict()
    if tripped is not None:
        doc["gates"] = {"tripped": list(tripped)}
    return json.dumps(doc, indent=2, ensure_ascii=False, allow_nan=False) + "\n"


# -- helpers shared by text and markdown --------------------------------------

def _counts_line(d: RowDiff) -> str:
    c = d.counts
    return (f"{d.old.rows} -> {d.new.rows} rows: +{c.added} added, -{c.removed} removed, "
            f"~{c.modified} modified, {c.unchanged} unchanged")


def _schema_items(d: RowDiff) -> list[str]:
    s = d.schema
    return ([f"+ {c.name} {c.type}" for c in s.added]
            + [f"- {c.name} {c.type}" for c in s.removed]
            + [f"~ {r.name} {r.old} -> {r.new}" for r in s.retyped])


def _name(d: RowDiff) -> str:
    return d.new.path if d.new.path != "/dev/null" else d.old.path


def _fmt(v) -> str:
    if v is None:
        return "-"
    if isinstance(v, float):
        return f"{v:.4g}"
    return str(v)


def _drift_cells(stats: dict | None) -> str:
    """A compact one-cell summary of one version's column statistics."""
    if stats is None:
        return "(absent)"
    parts = [f"null {stats['null_fraction'] * 100:.1f}%", f"~{stats['distinct']} distinct"]
    if "mean" in stats:
        parts.append(f"min {_fmt(stats['min'])} mean {_fmt(stats['mean'])} "
                     f"max {_fmt(stats['max'])}")
    if "length" in stats:
        ln = stats["length"]
        parts.append(f"len p50 {_fmt(ln['p50'])} p90 {_fmt(ln['p90'])} max {_fmt(ln['max'])}")
    if "true_fraction" in stats:
        parts.append(f"true {_fmt(stats['true_fraction'])}")
    if "min" in stats and "mean" not in stats:
        parts.append(f"{stats['min']} .. {stats['max']}")
    return ", ".join(parts)


_CLIP = 200  # characters of one value in a text/Markdown sample (JSON keeps all)


def _clip(v):
    """Shorten long strings: a PR comment must stay under GitHub's 65536 chars."""
    if isinstance(v, str) and len(v) > _CLIP:
        return v[:_CLIP] + f"… ({len(v)} chars)"
    if isinstance(v, dict):
        return {k: _clip(x) for k, x in v.items()}
    if isinstance(v, list):
        return [_clip(x) for x in v]
    return v


def _sample_lines(d: RowDiff) -> list[str]:
    def row(entry):
        times = f" (x{entry['count']})" if entry["count"] != 1 else ""
        return json.dumps(_clip(entry["row"]), ensure_ascii=False) + times

    out = [f"+ {row(e)}" for e in d.sample.added]
    out += [f"- {row(e)}" for e in d.sample.removed]
    for e in d.sample.modified:
        key = ", ".join(f"{k}={json.dumps(v, ensure_ascii=False)}" for k, v in e["key"].items())
        ch = "; ".join(f"{c}: {json.dumps(_clip(x['old']), ensure_ascii=False)} -> "
                       f"{json.dumps(_clip(x['new']), ensure_ascii=False)}"
                       for c, x in e["changes"].items())
        out.append(f"~ {key}: {ch}")
    return out


def _chat_line(chat: dict) -> str:
    a, b, dl = chat["old"], chat["new"], chat["delta"]
    return (f"messages {a['messages']} -> {b['messages']} ({dl['messages']:+d}), "
            f"tokens ({chat['tokenizer']}) {a['tokens']} -> {b['tokens']} "
            f"({dl['tokens']:+d}), bytes {a['bytes']} -> {b['bytes']} ({dl['bytes']:+d})")


# -- text ----------------------------------------------------------------------

def render_text(diff, tripped: list[str] | None = None) -> str:
    lines = _text_tree(diff) if isinstance(diff, TreeRowDiff) else _text_file(diff)
    lines += [f"gate tripped: {r}" for r in tripped or []]
    return "\n".join(lines) + "\n"


def _text_file(d: RowDiff, title: str | None = None) -> list[str]:
    key = f" (key: {', '.join(d.key)})" if d.key else " (rows matched whole)"
    lines = [f"{title or _name(d)}{key}",
             "  " + _counts_line(d)]
    if d.schema.changed:
        lines += ["  schema:"] + [f"    {s}" for s in _schema_items(d)]
    if d.columns_changed:
        lines.append("  modified columns: " + ", ".join(
            f"{k} {v}" for k, v in d.columns_changed.items()))
    if d.chat:
        lines.append("  chat: " + _chat_line(d.chat))
    if d.drift:
        lines.append("  drift:")
        for name, st in list(d.drift.items())[:_MAX_DRIFT_COLUMNS]:
            lines.append(f"    {name}: {_drift_cells(st['old'])}  ->  {_drift_cells(st['new'])}")
    sample = _sample_lines(d)
    if sample:
        lines += ["  sample:"] + [f"    {s}" for s in sample]
    return lines


def _files(t: TreeRowDiff) -> str:
    """"N tabular file(s)", and how many of them could not be diffed (their rows
    are not in the totals that follow)."""
    failed = len(t.errors)
    return f"{len(t.files)} tabular file(s)" + (f" ({failed} not diffed)" if failed else "")


def _text_tree(t: TreeRowDiff) -> list[str]:
    c = t.counts
    lines = [f"{_files(t)}: {t.old_rows} -> {t.new_rows} rows: "
             f"+{c.added} added, -{c.removed} removed, ~{c.modified} modified, "
             f"{c.unchanged} unchanged"]
    for f in t.files:
        lines.append("")
        if f.error:
            lines.append(f"{f.path} [{f.status}] error: {f.error}")
        else:
            lines += _text_file(f.diff, f"{f.path} [{f.status}]")
    return lines


# -- markdown ------------------------------------------------------------------

def _md(text) -> str:
    """Escape a table cell: pipes and newlines would break the row."""
    return str(text).replace("|", "\\|").replace("\n", " ")


def render_markdown(diff, tripped: list[str] | None = None) -> str:
    out = []
    if tripped:
        out += ["> [!CAUTION]", "> **ldv diff gates tripped**"]
        out += [f"> - {_md(r)}" for r in tripped] + [""]
    if isinstance(diff, TreeRowDiff):
        out += _md_tree(diff)
    else:
        out += _md_file(diff, "### Row diff: `" + _md(_name(diff)) + "`")
    return "\n".join(out) + "\n"


def _longest_backtick_run(lines: list[str]) -> int:
    """Data may hold Markdown fences; ours must be longer to contain it."""
    return max((len(run) for ln in lines for run in re.findall(r"`+", ln)), default=0)


def _md_counts_table(rows: list[tuple[str, RowDiff]]) -> list[str]:
    out = ["| file | rows (old → new) | added | removed | modified | unchanged | schema |",
           "|---|---:|---:|---:|---:|---:|---|"]
    for name, d in rows:
        c = d.counts
        out.append(f"| `{_md(name)}` | {d.old.rows} → {d.new.rows} | {c.added} | "
                   f"{c.removed} | {c.modified} | {c.unchanged} | "
                   f"{'changed' if d.schema.changed else 'same'} |")
    return out


def _md_file(d: RowDiff, heading: str, table: bool = True) -> list[str]:
    match = f"key `{', '.join(d.key)}`" if d.key else "whole-row identity"
    out = [heading, "", f"Rows matched by {match}."]
    if table:  # a tree report already has the file's row in its summary table
        out += [""] + _md_counts_table([(_name(d), d)])
    if d.schema.changed:
        out += ["", "**Schema changes**", ""] + [f"- `{_md(s)}`" for s in _schema_items(d)]
    if d.columns_changed:
        out += ["", "| modified column | rows |", "|---|---:|"]
        out += [f"| `{_md(k)}` | {v} |" for k, v in d.columns_changed.items()]
    if d.chat:
        out += ["", "**Chat:** " + _md(_chat_line(d.chat))]
    if d.drift:
        out += ["", "<details><summary>Column drift</summary>", "",
                "| column | old | new |", "|---|---|---|"]
        out += [f"| `{_md(n)}` | {_md(_drift_cells(s['old']))} | {_md(_drift_cells(s['new']))} |"
                for n, s in list(d.drift.items())[:_MAX_DRIFT_COLUMNS]]
        out += ["", "</details>"]
    sample = _sample_lines(d)
    if sample:
        fence = "`" * max(3, _longest_backtick_run(sample) + 1)
        out += ["", "<details><summary>Sample rows</summary>", "", fence + "diff"]
        out += sample + [fence, "", "</details>"]
    return out


def _md_tree(t: TreeRowDiff) -> list[str]:
    c = t.counts
    out = ["### ldv row diff", "",
           f"{_files(t)}, {t.old_rows} → {t.new_rows} rows: "
           f"**+{c.added}** added, **-{c.removed}** removed, **~{c.modified}** modified, "
           f"{c.unchanged} unchanged.", ""]
    out += _md_counts_table([(f.path, f.diff) for f in t.files if f.diff])
    for e in t.errors:
        out.append(f"- :warning: {_md(e)}")
    used, left_out = sum(len(x) + 1 for x in out), 0
    for f in t.files:
        if f.diff and f.diff.changed:
            section = [""] + _md_file(f.diff, f"#### `{_md(f.path)}` ({f.status})",
                                      table=False)
            size = sum(len(x) + 1 for x in section)
            if used + size > _MD_BUDGET:
                left_out += 1
                continue
            out += section
            used += size
    if left_out:
        out += ["", f"_Details of {left_out} more file(s) left out to fit a comment; "
                    "see `--format json`._"]
    return out
