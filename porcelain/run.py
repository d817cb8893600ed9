"""run: execute a command on committed inputs and commit its outputs with lineage.

Order (docs/LINEAGE.md): refuse when the index has staged changes (they would
slip into the run's commit); resolve every input to the blob HEAD holds and
refuse inputs that differ from HEAD in the index or the working tree (a record
must name a version anyone can check out); read the code revision; run the
command without a shell unless asked; on a non-zero exit commit nothing and
return the exit code; check that inputs were not changed behind our back and
that every output exists; stage the outputs and commit them with the record.
A run whose outputs equal HEAD's still commits (an empty commit carrying the
record: a reproduced result is worth recording).
"""
from __future__ import annotations

import os
import shlex
import subprocess
from dataclasses import dataclass, field

from ldv.plumbing.errors import BadInput, GateTripped, LdvError, WouldClobber
from ldv.plumbing.index import load_index
from ldv.plumbing.objects import MODE_DIR
from ldv.plumbing.trees import lookup, walk

from .lineage import FileRef, RunRecord, code_revision
from .status import staged_changes, worktree_code
from .worktree import Identity


@dataclass
class RunOptions:
    """What ``ldv run`` was asked: ``command`` is argv (joined for ``shell``)."""

    command: list[str]
    outputs: list[str]
    inputs: list[str] = field(default_factory=list)
    shell: bool = False
    message: str | None = None
    author: Identity | None = None
    now: int | None = None
    code_dir: str | None = None    # the code's Git repository (default: around cwd)


@dataclass
class RunResult:
    exit_code: int
    commit: bytes | None = None
    record: RunRecord | None = None


def run(ws, opts: RunOptions) -> RunResult:
    """Run ``opts.command`` in ``ws.cwd``; commit its outputs when it exits 0."""
    if not opts.command:
        raise BadInput("no command to run", hint="ldv run -i IN -o OUT -- COMMAND ARGS")
    if not opts.outputs:
        raise BadInput("no outputs given", hint="name what the command writes with -o PATH")
    if opts.author is None:
        raise BadInput("no author for the run's commit",
                       hint="set ldv config user.name and user.email")
    head = ws.head_commit()
    _refuse_staged(ws)
    inputs = resolve_inputs(ws, head, opts.inputs)
    outputs = [ws.normalize(p) for p in opts.outputs]
    code = _code(ws, opts.code_dir)
    command = " ".join(opts.command) if opts.shell else list(opts.command)
    rc = execute(command, opts.shell, ws.cwd)
    if rc != 0:
        return RunResult(rc)
    _check_inputs_unchanged(ws, inputs, outputs)
    _check_outputs_exist(ws, opts.outputs, outputs)
    # force: an output named explicitly is wanted even if .ldvignore matches it
    # (as `git add -f`); files ignored *below* an output folder stay out.
    # (`add --force DIR` would take the ignored files inside DIR too, so folders
    # are added without force.)
    paths = [ws.root / p if p else ws.root for p in outputs]
    files = [str(p) for p in paths if not p.is_dir() or p.is_symlink()]
    folders = [str(p) for p in paths if p.is_dir() and not p.is_symlink()]
    if files:
        ws.add(files, force=True)
    if folders:
        ws.add(folders)
    record = RunRecord(command=command, shell=opts.shell, cwd=_rel_cwd(ws),
                       inputs=inputs, outputs=staged_outputs(ws, outputs), code=code)
    text = command if isinstance(command, str) else shlex.join(command)
    try:
        oid = ws.commit(opts.message or f"run: {text}", allow_empty=True, author=opts.author,
                        now=opts.now, lineage=[record.to_json()])
    except GateTripped as e:
        # The PII gate refused the commit: unstage the outputs again (the index
        # equalled HEAD before the run), so that `ldv run` can simply be rerun
        # instead of being refused for the staged outputs.  The files stay.
        _unstage(ws, [str(p) for p in paths])
        e.message += "; the outputs are left in the work tree, unstaged, nothing committed"
        raise
    return RunResult(0, oid, record)


def _unstage(ws, paths: list[str]) -> None:
    try:
        ws.restore(paths, staged=True, worktree=False)
    except LdvError:
        pass        # e.g. an unborn HEAD: leave the index as it is


def commit_record(ws, inputs: list[str], outputs: list[str]) -> dict:
    """The record for ``ldv commit --input/--output``: no command, inputs as HEAD
    holds them, outputs as staged (they must be: ``ldv add`` them first)."""
    if not outputs:
        raise BadInput("--input needs at least one --output",
                       hint="name the staged files made from the inputs with --output")
    refs_in = resolve_inputs(ws, ws.head_commit(), inputs)
    norm = [ws.normalize(p) for p in outputs]
    index = load_index(ws.repo)
    for user, path in zip(outputs, norm):
        if not index.paths_under(path):
            raise BadInput(f"output {user!r} is not in the index",
                           hint=f"stage it first: ldv add {user}")
    return RunRecord(command=None, shell=False, cwd=_rel_cwd(ws), inputs=refs_in,
                     outputs=staged_outputs(ws, norm), code=code_revision(ws.cwd)).to_json()


def _code(ws, code_dir: str | None) -> dict | None:
    if code_dir is None:
        return code_revision(ws.cwd)
    where = ws.cwd / code_dir
    code = code_revision(where) if where.is_dir() else None
    if code is None:
        raise BadInput(f"--code {code_dir!r} is not inside a Git repository",
                       hint="name a folder of the code's Git work tree")
    return code


def resolve_inputs(ws, head: bytes | None, paths: list[str]) -> list[FileRef]:
    """Each input (a file, or every file below a directory) as HEAD holds it."""
    out: list[FileRef] = []
    if not paths:
        return out
    if head is None:
        raise BadInput("inputs must be committed, and this branch has no commit yet",
                       hint="ldv add the inputs and ldv commit them first")
    tree = ws.tree_of(head)
    index = load_index(ws.repo)
    for user_path in paths:
        path = ws.normalize(user_path)
        e = lookup(ws.repo.odb, tree, path) if path else None
        if path and e is None:
            raise BadInput(f"input {user_path!r} is not in HEAD",
                           hint=f"commit it first: ldv add {user_path} && ldv commit")
        if e is None or e.mode == MODE_DIR:
            sub = e.oid if e is not None else tree
            found = [(p, t) for p, t in walk(ws.repo.odb, sub, path + "/" if path else "")]
        else:
            found = [(path, e)]
        for p, t in found:
            _require_committed(ws, index, p, t, user_path)
            out.append(FileRef(p, t.oid, t.size, head))
    return out


def _require_committed(ws, index, path: str, entry, user_path: str) -> None:
    """Refuse an input whose index or working-tree version differs from HEAD."""
    staged = index.get(path)
    if staged is None or staged.oid != entry.oid or staged.mode != entry.mode:
        raise WouldClobber(f"input {path!r} has staged changes that are not committed",
                           hint=f"commit them first (ldv commit), or ldv restore --staged {user_path}")
    if worktree_code(ws, staged, _lstat(ws, path), {}):
        raise WouldClobber(f"input {path!r} is modified in the working tree",
                           hint=f"commit it first: ldv add {user_path} && ldv commit "
                           "(or ldv restore it)")


def _refuse_staged(ws) -> None:
    changes = staged_changes(ws, load_index(ws.repo))
    if changes:
        raise WouldClobber(f"the index has {len(changes)} staged change(s), e.g. "
                           f"{changes[0].path!r}; they would go into the run's commit",
                           hint="commit them first, or unstage with ldv restore --staged")


def execute(command, shell: bool, cwd) -> int:
    """Run ``command`` (argv, or a string for the shell); its exit status, with
    death by signal N reported as 128 + N as shells do."""
    try:
        proc = subprocess.run(command, shell=shell, cwd=cwd, check=False)
    except FileNotFoundError:
        raise BadInput(f"command not found: {command if shell else command[0]!r}",
                       hint="check the name and PATH, or pass --shell for a shell line") from None
    except PermissionError:
        raise BadInput(f"command is not executable: {command[0]!r}",
                       hint="chmod +x it, or run it through its interpreter") from None
    rc = proc.returncode
    return 128 - rc if rc < 0 else rc


def _check_inputs_unchanged(ws, inputs: list[FileRef], outputs: list[str]) -> None:
    """An input the command rewrote without naming it as an output would make
    the record lie about what is on disk: refuse to commit."""
    index = load_index(ws.repo)
    for f in inputs:
        if any(_under(f.path, o) for o in outputs):
            continue
        e = index.get(f.path)
        if e is None or worktree_code(ws, e, _lstat(ws, f.path), {}):
            raise WouldClobber(f"the command changed input {f.path!r}, which is not an "
                               "output; nothing was committed",
                               hint="name it with -o as well, or make the command leave it")


def _check_outputs_exist(ws, user_paths: list[str], outputs: list[str]) -> None:
    for user, path in zip(user_paths, outputs):
        if not os.path.lexists(ws.root / path):
            raise BadInput(f"the command did not write output {user!r}; nothing was committed",
                           hint="check the command and the -o paths")


def staged_outputs(ws, outputs: list[str]) -> list[FileRef]:
    """The staged version of every file named by (or below) an output path."""
    index = load_index(ws.repo)
    refs: dict[str, FileRef] = {}
    for path in outputs:
        for p in index.paths_under(path):
            e = index.get(p)
            refs[p] = FileRef(p, e.oid, e.size)
    return [refs[p] for p in sorted(refs)]


def _under(path: str, prefix: str) -> bool:
    return not prefix or path == prefix or path.startswith(prefix + "/")


def _lstat(ws, path: str):
    try:
        return os.lstat(ws.root / path)
    except (FileNotFoundError, NotADirectoryError):
        return None


def _rel_cwd(ws) -> str:
    rel = ws.cwd.relative_to(ws.root).as_posix()
    return "" if rel == "." else rel
