"""ldv scan"""
from __future__ import annotations

import click

from ._app import App, PathspecCommand, out, pass_app, pathspec


@click.command("scan", cls=PathspecCommand)
@click.argument("rev", required=False)
@click.option("--rev", "rev_opt", metavar="REV", help="Scan this revision (same as REV).")
@click.option("--format", "fmt", type=click.Choice(["text", "json", "sarif"]),
              default="text", help="Output format (sarif for code-scanning UIs).")
@click.option("--exit-code", is_flag=True, help="Exit 1 when anything was found.")
@click.option("--entities", metavar="TYPES", multiple=True,
              help="Only these entity types (comma-separated, e.g. EMAIL_ADDRESS,US_SSN).")
@click.option("--threshold", type=click.FloatRange(0, 1), default=None,
              help="Minimum score (default: config pii.threshold or 0.4).")
@click.option("--allowlist", "allowlist", type=click.Path(dir_okay=False), default=None,
              help="Allowlist file (default: .ldvpii at the work-tree root).")
@click.option("--no-cache", is_flag=True, help="Rescan every file, ignore the findings cache.")
@click.option("--jobs", "-j", type=click.IntRange(1, 64), default=None,
              help="Worker processes for files over 4 MiB (default: the cores, at most 4).")
@pass_app
def command(app: App, rev, rev_opt, fmt, exit_code, entities, threshold, allowlist, no_cache,
            jobs):
    """Find personal data (PII) in a revision or in the working tree.

    \b
      ldv scan                  the working tree (what `add` would see)
      ldv scan HEAD             a commit (findings cached by file content)
      ldv scan REV -- PATHS     only these paths

    Text, JSONL (each string field, with its JSON path), CSV and Parquet (per
    column) are scanned with presidio's recognizers (docs/PII.md).  Reports show
    a masked preview, never the value.  `.ldvpii` lists values (one a line) or
    `re:PATTERN`s to ignore.
    """
    from ldv.porcelain.pii import scan as pscan
    repo = app.repository()
    opts = scan_options(repo, entities, threshold, allowlist)
    opts.jobs = jobs
    if rev and rev_opt and rev != rev_opt:
        raise click.UsageError(f"two revisions given ({rev} and --rev {rev_opt}); "
                               "scan one at a time")
    rev = rev_opt or rev
    if rev:
        paths = [repo.workspace.normalize(p) for p in pathspec() or []]   # cwd-relative
        result = pscan.scan_revision(repo.plumbing, repo.resolve_commit(rev), opts,
                                     paths, use_cache=not no_cache)
    else:
        result = pscan.scan_worktree(repo.workspace, opts, pathspec(), use_cache=not no_cache)
    from ldv.porcelain.pii.report import render
    out(render(result.findings, fmt, result.notes), nl=False)
    return 1 if exit_code and result.findings else 0


def scan_options(repo, entities, threshold, allowlist):
    """ScanOptions from flags, falling back to the pii.* config."""
    from pathlib import Path

    from ldv.plumbing.errors import BadInput
    from ldv.porcelain.pii import Allowlist, ScanOptions
    # Unknown names are refused when the engine is built (not needed when cached).
    wanted = {e.strip().upper() for item in entities for e in item.split(",") if e.strip()}
    if not wanted and repo.config_get("pii.entities"):
        wanted = {e.strip().upper() for e in repo.config_get("pii.entities").split(",")}
    if threshold is None:
        threshold = _float(repo.config_get("pii.threshold"), 0.4)
    if allowlist:
        path = Path(allowlist)
        if not path.is_file():
            raise BadInput(f"allowlist {allowlist!r} does not exist", hint="check the path")
        allow = Allowlist.read(path, allowlist)
    else:
        allow = Allowlist.load(repo.root)
    return ScanOptions(entities=wanted or None, threshold=threshold, allowlist=allow)


def _float(text, default: float) -> float:
    from ldv.plumbing.errors import BadInput
    if text is None:
        return default
    try:
        return float(text)
    except ValueError:
        raise BadInput(f"pii.threshold is not a number: {text!r}",
                       hint="ldv config set pii.threshold 0.5") from None
