"""Lineage: what a dataset file was made from, across commits and runs.

Glossary (record shape and rules: docs/LINEAGE.md)

  record    one JSON object in ``Commit.lineage``: a run of a command that read
            *inputs* (rev:path with blob ids) and wrote *outputs* (path, blob id),
            with the code revision of the enclosing Git repository it ran at.
  artifact  one version of one file: (path, blob id).
  producer  the newest commit, among those holding the artifact, whose record
            lists it as an output.
  source    an artifact no record produced: the commit that introduced its blob.

Records live inside commits, which are encrypted objects: lineage is never
plaintext on disk, and it travels with push and clone like the rest of a commit.
A merge commit needs no records of its own: the walker follows every parent that
still holds the blob, so records on either side survive the merge.
"""
from __future__ import annotations

import heapq
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path

from ldv.plumbing.errors import BadInput, ObjectNotFound
from ldv.plumbing.objects import MODE_DIR, Commit, read_commit
from ldv.plumbing.trees import lookup, walk

RECORD_TYPE = "run"
RECORD_VERSION = 1
GRAPH_VERSION = 1         # of the JSON ``Graph.to_json`` returns (ldv lineage --format json)
MAX_DEPTH = 32            # runs followed upstream from a target
MAX_COMMITS = 100_000     # commits one producer search may read
MAX_ARTIFACTS = 2_000     # artifacts one graph may hold


# -- records ------------------------------------------------------------------

@dataclass(frozen=True)
class FileRef:
    """A file version: ``path`` with ``blob``; ``rev`` is the commit it was read
    from (inputs) or None (outputs: the record's own commit)."""

    path: str
    blob: bytes
    size: int = 0
    rev: bytes | None = None

    def to_json(self) -> dict:
        d = {"path": self.path, "blob": self.blob.hex(), "size": self.size}
        if self.rev is not None:
            d["rev"] = self.rev.hex()
        return d

    @classmethod
    def from_json(cls, d) -> "FileRef":
        rev = d.get("rev")
        return cls(str(d["path"]), bytes.fromhex(d["blob"]), int(d.get("size", 0)),
                   bytes.fromhex(rev) if rev else None)


@dataclass(frozen=True)
class RunRecord:
    """A parsed version-1 run record."""

    command: list[str] | str | None      # None: recorded by ``ldv commit --output``
    shell: bool
    cwd: str
    inputs: list[FileRef]
    outputs: list[FileRef]
    code: dict | None
    exit_code: int = 0

    def to_json(self) -> dict:
        return {"type": RECORD_TYPE, "version": RECORD_VERSION,
                "command": self.command, "shell": self.shell, "cwd": self.cwd,
                "inputs": [f.to_json() for f in self.inputs],
                "outputs": [f.to_json() for f in self.outputs],
                "code": self.code, "exit_code": self.exit_code}

    @property
    def command_text(self) -> str:
        if self.command is None:
            return "(no command: recorded with ldv commit --input/--output)"
        if isinstance(self.command, str):
            return self.command
        import shlex
        return shlex.join(self.command)


def parse_record(d) -> RunRecord | None:
    """The run record ``d`` holds, or None for records of another type or version
    (kept in the commit, shown raw by ``ldv show``, but not followed)."""
    if not isinstance(d, dict) or d.get("type") != RECORD_TYPE \
            or d.get("version") != RECORD_VERSION:
        return None
    if not isinstance(d.get("command"), (str, list, type(None))):
        return None
    try:
        return RunRecord(command=d["command"], shell=bool(d.get("shell", False)),
                         cwd=str(d.get("cwd", "")),
                         inputs=[FileRef.from_json(x) for x in d.get("inputs", [])],
                         outputs=[FileRef.from_json(x) for x in d.get("outputs", [])],
                         code=d.get("code"), exit_code=int(d.get("exit_code", 0)))
    except (KeyError, TypeError, ValueError, AttributeError):
        return None        # a foreign or damaged record: not followed, never fatal


def code_revision(directory: Path) -> dict | None:
    """The Git commit ``directory`` is checked out at, read with pygit2:
    ``{"vcs", "commit", "dirty", "branch", "path"}``, or None outside Git.

    ``dirty`` counts tracked files only (untracked files, such as a dataset
    folder inside the code repository, do not make the code dirty; as
    ``git describe --dirty``).  ``commit`` is None on an unborn branch.
    """
    import pygit2
    found = pygit2.discover_repository(str(directory))
    if found is None:
        return None
    try:
        g = pygit2.Repository(found)
    except pygit2.GitError:
        return None
    unborn = g.head_is_unborn
    status = {} if g.is_bare else g.status(untracked_files="no", ignored=False)
    workdir = Path(g.workdir).resolve() if g.workdir else None
    rel = ""
    if workdir is not None:
        try:
            rel = Path(directory).resolve().relative_to(workdir).as_posix()
        except ValueError:
            rel = ""
    branch = None
    if not g.head_is_detached:
        branch = g.references.get("HEAD").target if unborn else g.head.shorthand
        if isinstance(branch, str) and branch.startswith("refs/heads/"):
            branch = branch[len("refs/heads/"):]
    return {"vcs": "git", "commit": None if unborn else str(g.head.target),
            "dirty": bool(status), "branch": branch, "path": "" if rel == "." else rel}


# -- the graph ----------------------------------------------------------------

@dataclass
class Artifact:
    """A node: a file version and how it came to be."""

    path: str
    blob: bytes
    size: int
    kind: str = "source"          # "run" | "source" | "missing" | "unexplored"
    commit: bytes | None = None   # the producer (run) or introducer (source)
    run: str | None = None        # key of the producing run
    subject: str | None = None    # first line of the source commit's message

    @property
    def key(self) -> str:
        return f"{self.path}@{self.blob.hex()}"


@dataclass
class Run:
    """A node: one run record in one commit."""

    commit: bytes
    index: int
    record: RunRecord
    message: str
    time: int

    @property
    def key(self) -> str:
        return f"{self.commit.hex()}#{self.index}"


@dataclass
class Graph:
    """The upstream graph of ``targets``; edges go input -> run -> output."""

    targets: list[str]
    artifacts: dict[str, Artifact] = field(default_factory=dict)
    runs: dict[str, Run] = field(default_factory=dict)
    edges: list[tuple[str, str]] = field(default_factory=list)
    truncated: bool = False

    def to_json(self) -> dict:
        return {"format": "ldv.lineage", "version": GRAPH_VERSION,
                "targets": self.targets, "truncated": self.truncated,
                "artifacts": [_artifact_json(a) for a in self.artifacts.values()],
                "runs": [_run_json(r) for r in self.runs.values()],
                "edges": [{"from": a, "to": b} for a, b in self.edges]}


def _artifact_json(a: Artifact) -> dict:
    return {"id": a.key, "path": a.path, "blob": a.blob.hex(), "size": a.size,
            "kind": a.kind, "commit": a.commit.hex() if a.commit else None, "run": a.run,
            "subject": a.subject}


def _run_json(r: Run) -> dict:
    return {"id": r.key, "commit": r.commit.hex(), "index": r.index,
            "message": r.message, "time": r.time, **r.record.to_json()}


class _Commits:
    """Commit and path lookups with a small cache (a walk re-reads the same ones)."""

    def __init__(self, odb):
        self.odb = odb
        self._commits: dict[bytes, Commit | None] = {}

    def get(self, oid: bytes) -> Commit | None:
        if oid not in self._commits:
            try:
                self._commits[oid] = read_commit(self.odb, oid)
            except ObjectNotFound:          # beyond a shallow or partial clone
                self._commits[oid] = None
        return self._commits[oid]

    def blob_at(self, oid: bytes, path: str) -> bytes | None:
        c = self.get(oid)
        if c is None:
            return None
        e = lookup(self.odb, c.tree, path)
        return None if e is None or e.mode == MODE_DIR else e.oid


def lineage(repo, commit: bytes, path: str, *, max_depth: int = MAX_DEPTH,
            max_commits: int = MAX_COMMITS) -> Graph:
    """The upstream graph of ``path`` (a file, or every file below a directory)
    as of ``commit``."""
    commits = _Commits(repo.odb)
    c = commits.get(commit)
    if c is None:
        raise ObjectNotFound(f"commit {commit.hex()} is not in this repository",
                             hint="fetch it, or name another revision")
    entry = lookup(repo.odb, c.tree, path) if path else None
    if path and entry is None:
        raise BadInput(f"path {path!r} is not in commit {commit.hex()[:12]}",
                       hint="check the path, or pass --rev")
    if entry is None or entry.mode == MODE_DIR:
        tree = entry.oid if entry is not None else c.tree
        files = [FileRef(p, e.oid, e.size, commit)
                 for p, e in walk(repo.odb, tree, path + "/" if path else "")]
    else:
        files = [FileRef(path, entry.oid, entry.size, commit)]
    graph = Graph(targets=[f"{f.path}@{f.blob.hex()}" for f in files])
    _explore(graph, commits, files, max_depth, max_commits)
    return graph


def _explore(graph: Graph, commits: _Commits, files: list[FileRef], max_depth: int,
             max_commits: int) -> None:
    """Breadth-first upstream from ``files``, each artifact explored once."""
    frontier = deque((f, 0) for f in files)
    while frontier:
        ref, depth = frontier.popleft()
        art = Artifact(ref.path, ref.blob, ref.size)
        if art.key in graph.artifacts:
            continue
        if len(graph.artifacts) >= MAX_ARTIFACTS or depth > max_depth:
            art.kind, graph.truncated = "unexplored", True
            graph.artifacts[art.key] = art
            continue
        graph.artifacts[art.key] = art
        found = find_producer(commits, ref.path, ref.blob, ref.rev, max_commits)
        art.kind, art.commit = found[0], found[1]
        graph.truncated |= art.kind == "unexplored"
        if found[0] == "source":
            art.subject = commits.get(found[1]).message.split("\n", 1)[0]
        if found[0] != "run":
            continue
        run = Run(found[1], found[2], found[3], commits.get(found[1]).message,
                  commits.get(found[1]).commit_time)
        art.run = run.key
        graph.edges.append((run.key, art.key))
        if run.key in graph.runs:
            continue
        graph.runs[run.key] = run
        for inp in run.record.inputs:
            graph.edges.append((f"{inp.path}@{inp.blob.hex()}", run.key))
            frontier.append((inp, depth + 1))


def find_producer(commits: _Commits, path: str, blob: bytes, start: bytes | None,
                  max_commits: int = MAX_COMMITS) -> tuple:
    """How ``path`` got ``blob``, searching back from commit ``start``:
    ``("run", commit, record index, RunRecord)``, ``("source", commit)`` for the
    commit that introduced the blob without a record, or ``("missing", None)``.

    Only commits that hold the blob at the path are visited (newest first, all
    parents of a merge), so the search is bounded by the blob's own history.
    """
    if start is None or commits.blob_at(start, path) != blob:
        return ("missing", None)
    heap = [(-commits.get(start).commit_time, 0, start)]
    seen, n, introducer = {start}, 1, None
    while heap and n <= max_commits:
        _, _, oid = heapq.heappop(heap)
        c = commits.get(oid)
        idx = _producing_record(c, path, blob)
        if idx is not None:
            return ("run", oid, idx[0], idx[1])
        holders = [p for p in c.parents if commits.blob_at(p, path) == blob]
        if not holders and introducer is None:
            introducer = oid
        for p in holders:
            if p not in seen:
                seen.add(p)
                n += 1
                heapq.heappush(heap, (-commits.get(p).commit_time, n, p))
    if heap:                         # the budget ran out before the blob's first commit
        return ("unexplored", None)
    return ("source", introducer) if introducer else ("missing", None)


def _producing_record(c: Commit, path: str, blob: bytes) -> tuple | None:
    for i, raw in enumerate(c.lineage):
        rec = parse_record(raw)
        if rec is not None and any(o.path == path and o.blob == blob for o in rec.outputs):
            return i, rec
    return None
