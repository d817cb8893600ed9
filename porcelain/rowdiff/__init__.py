"""Row-level diffs of tabular dataset files (Parquet, CSV, JSONL) with DuckDB.

    from ldv.porcelain.rowdiff import diff_rows, render, parse_gates, evaluate_gates
    d = diff_rows("old.parquet", "new.parquet", key=["id"], sample=5)
    print(render(d, "markdown"))
    tripped = evaluate_gates(parse_gates(["removed>1%", "schema"]), d)

See docs/ROWDIFF.md for the matching rules and the JSON schema.
"""
from __future__ import annotations

from .drift import load_tokenizer
from .engine import DiffOptions, diff_rows
from .formats import FORMATS, detect_format, is_tabular
from .gates import Gate, evaluate_gates, parse_gates
from .model import SCHEMA_VERSION, Counts, RowDiff, SchemaDiff
from .render import render, render_json, render_markdown, render_text
from .tree import FileChange, FileRowDiff, TreeRowDiff, from_file_diff, summarize_tree

__all__ = [
    "DiffOptions", "diff_rows", "load_tokenizer", "FORMATS", "detect_format", "is_tabular",
    "Gate", "evaluate_gates", "parse_gates", "SCHEMA_VERSION", "Counts", "RowDiff",
    "SchemaDiff", "render", "render_json", "render_markdown", "render_text",
    "FileChange", "FileRowDiff", "TreeRowDiff", "from_file_diff", "summarize_tree",
]
