"""ldv lineage"""
from __future__ import annotations

import json

import click

from ._app import App, out, pass_app


@click.command("lineage")
@click.argument("path", default=".")
@click.option("--rev", default="HEAD", show_default=True, help="The revision to start at.")
@click.option("--format", "fmt", type=click.Choice(["text", "json", "dot"]), default="text",
              show_default=True, help="An indented tree, JSON, or Graphviz dot.")
@click.option("--max-depth", type=click.IntRange(0, 10_000), default=32, show_default=True,
              help="Follow at most this many runs upstream.")
@pass_app
def command(app: App, path, rev, fmt, max_depth):
    """Show what PATH (a file, or every file below a folder; default: the
    current folder) was made from.

    Starting at REV, finds the run whose record produced PATH's current blob,
    then the runs that produced that run's inputs, and so on; a file no run
    produced shows the commit that added it.

    \b
      ldv lineage features.parquet
      ldv lineage data/ --rev v1 --format dot | dot -Tsvg > lineage.svg
    """
    from ldv.porcelain import revparse
    from ldv.porcelain.lineage import lineage
    repo = app.repository()
    commit = revparse.resolve_commit(repo.plumbing, rev)
    graph = lineage(repo.plumbing, commit, repo.workspace.normalize(path),
                    max_depth=max_depth)
    if fmt == "json":
        out(json.dumps(graph.to_json(), indent=2, ensure_ascii=False))
    elif fmt == "dot":
        out(render_dot(graph))
    else:
        out(render_text(graph))


def render_text(graph) -> str:
    """Each target with its upstream, indented; shared parts are shown once."""
    lines: list[str] = []
    shown: set[str] = set()
    for key in graph.targets:
        _text_artifact(graph, key, "", lines, shown)
    if graph.truncated:
        lines.append("(truncated: raise --max-depth to follow further)")
    return "\n".join(lines)


def _text_artifact(graph, key: str, pad: str, lines: list, shown: set) -> None:
    a = graph.artifacts.get(key)
    if a is None:
        return
    head = f"{pad}{a.path}  blob {a.blob.hex()[:12]}"
    if a.kind == "source":
        subject = f' "{a.subject}"' if a.subject else ""
        lines.append(f"{head}  source: added in {_commit_line(graph, a.commit)}{subject}")
        return
    if a.kind != "run":
        why = {"missing": "commit not in this repository",
               "unexplored": "not followed (limit reached)"}[a.kind]
        lines.append(f"{head}  ({why})")
        return
    run = graph.runs[a.run]
    if a.run in shown:
        lines.append(f"{head}  made by run {run.commit.hex()[:12]} (shown above)")
        return
    shown.add(a.run)
    lines.append(f"{head}  made by run {run.commit.hex()[:12]} {_when(run.time)}")
    lines.append(f"{pad}  $ {run.record.command_text}")
    lines.append(f"{pad}  code: {_code(run.record.code)}")
    for inp in run.record.inputs:
        _text_artifact(graph, f"{inp.path}@{inp.blob.hex()}", pad + "    ", lines, shown)


def _code(code) -> str:
    if not code:
        return "not in a Git repository"
    if not code.get("commit"):
        return "git, no commit yet" + (" (dirty)" if code.get("dirty") else "")
    state = "dirty" if code.get("dirty") else "clean"
    where = f" on {code['branch']}" if code.get("branch") else ""
    return f"git {code['commit'][:12]} ({state}){where}"


def _commit_line(graph, oid) -> str:
    return f"commit {oid.hex()[:12]}" if oid else "an unknown commit"


def _when(seconds: int) -> str:
    import datetime as dt
    t = dt.datetime.fromtimestamp(seconds, dt.timezone.utc)
    return f"{t:%Y-%m-%d %H:%M} UTC"


def render_dot(graph) -> str:
    """Graphviz: files as ellipses, runs as boxes, edges input -> run -> output."""
    lines = ["digraph lineage {", "  rankdir=LR;", "  node [fontname=\"monospace\"];"]
    for a in graph.artifacts.values():
        label = f"{_esc(a.path)}\\n{a.blob.hex()[:12]}"
        style = ", style=dashed" if a.kind in ("missing", "unexplored") else ""
        lines.append(f"  {_q(a.key)} [shape=ellipse, label={_q(label, raw=True)}{style}];")
    for r in graph.runs.values():
        label = f"run {r.commit.hex()[:12]}\\n{_esc(r.record.command_text[:60])}\\n" \
                f"code: {_esc(_code(r.record.code))}"
        lines.append(f"  {_q(r.key)} [shape=box, label={_q(label, raw=True)}];")
    for a, b in graph.edges:
        lines.append(f"  {_q(a)} -> {_q(b)};")
    lines.append("}")
    return "\n".join(lines)


def _esc(text: str) -> str:
    return text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def _q(text: str, raw: bool = False) -> str:
    """A dot ID in quotes; ``raw`` text is already escaped (keeps its \\n)."""
    return f'"{text if raw else _esc(text)}"'
