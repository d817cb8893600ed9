"""ldv export"""
from __future__ import annotations

import click

from ._app import App, PathspecCommand, pass_app, pathspec


@click.command("export", cls=PathspecCommand)
@click.argument("rev")
@click.argument("dest", type=click.Path(file_okay=False))
@click.option("--anonymize", "operator", required=True,
              type=click.Choice(["mask", "redact", "hash", "replace"]),
              help="How found PII is rewritten (hash: keyed, stable across versions).")
@click.option("--entities", metavar="TYPES", multiple=True,
              help="Only these entity types (comma-separated).")
@click.option("--threshold", type=click.FloatRange(0, 1), default=None,
              help="Minimum score (default: config pii.threshold or 0.4).")
@click.option("--allowlist", type=click.Path(dir_okay=False), default=None,
              help="Allowlist file (default: .ldvpii at the work-tree root).")
@pass_app
def command(app: App, rev, dest, operator, entities, threshold, allowlist):
    """Write a copy of REV's files to DEST with PII anonymized.

    Same formats and schema as the originals: JSONL string fields, CSV and
    Parquet cells and text lines are rewritten in place; other files are
    copied as they are.  `hash` maps a value to the same token in every file
    and version, keyed by the repository (not reversible without its keys).
    """
    from ldv.porcelain.pii import scan as pscan

    from .scan import scan_options
    repo = app.repository()
    opts = scan_options(repo, entities, threshold, allowlist)
    paths = [repo.workspace.normalize(p) for p in pathspec() or []]   # cwd-relative
    kinds = pscan.export_revision(repo.plumbing, repo.resolve_commit(rev), dest, operator,
                                  opts, paths)
    copied = kinds.get("binary", 0)
    total = sum(kinds.values())
    app.say(f"exported {total} file(s) to {dest}" +
            (f" ({copied} binary file(s) copied unscanned)" if copied else ""))
