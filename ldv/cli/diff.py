"""ldv diff"""
from __future__ import annotations

import click

from ._app import App, PathspecCommand, out, pass_app, pathspec


@click.command("diff", cls=PathspecCommand)
@click.argument("revs", nargs=-1)
@click.option("--cached", "--staged", "cached", is_flag=True,
              help="Compare the index with HEAD (or with REV).")
@click.option("--stat", is_flag=True, help="A diffstat: lines changed per file.")
@click.option("--name-status", is_flag=True, help="Changed paths with A/M/D/T.")
@click.option("--name-only", is_flag=True, help="Changed paths only.")
@click.option("--format", "fmt", type=click.Choice(["text", "json", "markdown"]),
              default="text", help="Output format (json and markdown for CI).")
@click.option("--exit-code", is_flag=True, help="Exit 1 when there are differences, 0 otherwise.")
@click.option("--no-renames", is_flag=True, help="Show a moved file as deleted and added.")
@click.option("--rows", is_flag=True,
              help="Row-level diff of changed Parquet, CSV and JSONL files (DuckDB).")
@click.option("--key", metavar="COLS", help="With --rows: key column(s), comma-separated.")
@click.option("-n", "--sample", type=click.IntRange(min=0), default=5, show_default=True,
              help="With --rows: example rows shown per kind of change.")
@click.option("--fail-on", "fail_on", multiple=True, metavar="EXPR",
              help="With --rows: a gate such as 'removed>1%' or 'schema'; exit 1 when tripped.")
@click.option("--table-format", type=click.Choice(["parquet", "csv", "jsonl"]),
              help="With --rows: read the changed files as this format, whatever their "
                   "extension (name them after --).")
@click.option("--tokenizer", metavar="NAME", default="whitespace", show_default=True,
              help="With --rows: how chat messages' tokens are counted: whitespace, or "
                   "MODULE:FUNCTION, a function of a text returning its token count.")
@pass_app
def command(app: App, revs, cached, stat, name_status, name_only, fmt, exit_code,
            no_renames, rows, key, sample, fail_on, table_format, tokenizer):
    """Show changes between the working tree, the index and commits.

    \b
      ldv diff                 working tree vs index (what `add` would stage)
      ldv diff --cached        index vs HEAD (what `commit` would record)
      ldv diff REV             working tree vs REV (--cached: index vs REV)
      ldv diff A B  /  A..B    commit A vs commit B
      ldv diff ... -- PATHS    only these paths

    Text files show a unified diff; binary files one line.  With --rows,
    changed Parquet/CSV/JSONL files are compared row by row instead (counts,
    schema changes, drift, samples), and --fail-on gates fail CI (exit 1).
    During a stopped merge, plain `ldv diff` also shows each conflicting record
    of the unmerged JSONL/CSV/Parquet paths: base (-), ours (<), theirs (>).
    """
    repo = app.repository()
    a, b = _revs(list(revs))
    # row diffs pair files by path, so they take renames as delete + add
    result = repo.diff(a, b, cached=cached, paths=pathspec() or [],
                       renames=not (no_renames or rows or fail_on))
    if rows or fail_on:
        return _rows(app, repo, result, fmt, key, sample, fail_on, exit_code,
                     table_format, tokenizer)
    unmerged = _unmerged(repo, revs, cached, stat or name_status or name_only)
    _render(result, fmt, stat, name_status, name_only, unmerged)
    return 1 if exit_code and (result or unmerged) else 0


def _unmerged(repo, revs, cached, summary: bool) -> list:
    """During a stopped merge, plain ``ldv diff``: the conflicting records of each
    unmerged record-merged path (base, ours, theirs; docs/MERGE.md)."""
    if revs or cached or summary:
        return []
    from ldv.porcelain.mergediff import unmerged_records
    return unmerged_records(repo.workspace, pathspec() or [])


def _rows(app, repo, result, fmt, key, sample, fail_on, exit_code, table_format,
          tokenizer) -> int:
    """Row diffs of the tabular files among the changes (docs/ROWDIFF.md)."""
    from ldv.plumbing.errors import GateTripped
    from ldv.porcelain import rowdiff
    from ldv.porcelain.revfs import RevisionFileSystem
    gates = rowdiff.parse_gates(fail_on)            # bad gate: exit 2 before any work
    count_tokens = rowdiff.load_tokenizer(tokenizer)  # and a bad tokenizer
    fs = RevisionFileSystem(repo.plumbing)          # committed versions, read concurrently
    opts = rowdiff.DiffOptions(fmt=table_format, key=key.split(",") if key else None,
                               sample=sample, tokenizer=count_tokens, filesystems=(fs,),
                               progress=app.progress() or None)
    changes = rowdiff.from_file_diff(result.changes, repo.plumbing.odb, fs, fmt=table_format)
    tree = rowdiff.summarize_tree(changes, opts)
    tripped = rowdiff.evaluate_gates(gates, tree) if gates else None
    out(_with_file_summary(result, fmt, rowdiff.render(tree, fmt, tripped)), nl=False)
    if tree.errors:  # bad file, missing or non-unique key: exit 2 after the report
        from ldv.plumbing.errors import BadInput
        raise BadInput(tree.errors[0], hint=f"{len(tree.errors)} file(s) could not be "
                                            "row-diffed; see the report above")
    if tripped:
        raise GateTripped(f"{len(tripped)} gate(s) tripped: " + "; ".join(tripped),
                          hint="the diff above shows why")
    return 1 if exit_code and tree.changed else 0


def _with_file_summary(result, fmt: str, report: str) -> str:
    """The file-level summary first, then the row-level report (issue 6)."""
    if fmt == "json":
        import json
        doc = json.loads(report)
        doc["file_changes"] = result.to_json()
        return json.dumps(doc, indent=2, ensure_ascii=False) + "\n"
    summary = _markdown(result) if fmt == "markdown" else result.stat()
    return summary + "\n" + report if result else report


def _revs(revs: list[str]):
    if len(revs) == 1 and ".." in revs[0] and "..." not in revs[0]:
        a, _, b = revs[0].partition("..")
        return a or "HEAD", b or "HEAD"
    if len(revs) > 2:
        raise click.UsageError("at most two revisions (use -- before paths)")
    return (revs + [None, None])[0], (revs + [None, None])[1]


def _render(result, fmt, stat, name_status, name_only, unmerged=()) -> None:
    if fmt == "json":
        import json
        doc = result.to_json()
        if unmerged:
            doc["unmerged"] = [u.to_json() for u in unmerged]
        out(json.dumps(doc, indent=2))
    elif fmt == "markdown":
        out(_markdown(result) + "".join(f"\n```\n{u.render()}```\n" for u in unmerged),
            nl=False)
    elif stat:
        out(result.stat(), nl=False)
    elif name_status:
        out(result.name_status(), nl=False)
    elif name_only:
        out(result.name_only(), nl=False)
    else:
        out(result.patch() + "".join(u.render() for u in unmerged), nl=False)


def _markdown(result) -> str:
    from ldv.porcelain.diff_render import summary_line
    j = result.to_json()
    if not j["changes"]:
        return "No changes.\n"
    rows = ["| status | path | +lines | -lines | size |", "|---|---|---:|---:|---|"]
    for c in j["changes"]:
        old = c["old"]["size"] if c["old"] else "-"
        new = c["new"]["size"] if c["new"] else "-"
        ins = "bin" if c["binary"] else c["insertions"]
        dels = "bin" if c["binary"] else c["deletions"]
        path = f"`{c['old_path']}` → `{c['path']}`" if c.get("old_path") else f"`{c['path']}`"
        rows.append(f"| {c['status']} | {path} | {ins} | {dels} | {old} -> {new} |")
    rows.append("\n" + summary_line(j["files_changed"], j["insertions"], j["deletions"]).strip())
    return "\n".join(rows) + "\n"
