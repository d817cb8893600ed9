"""The working tree: Git's index model over an ldv repository.

``Workspace`` is the one object the CLI and the Python API use for the local verbs
(add, rm, mv, status, commit, switch, checkout, restore, reset).  It is a facade: the
work is done in small modules named after the verbs (add.py, status.py, commit.py,
checkout.py, reset.py) over the index (plumbing/index.py), the ignore rules
(plumbing/ignore.py) and the files on disk (workfiles.py).

Porcelain never prints: long operations report through ``progress(label, done,
total)``; results come back as data; failures are typed errors (plumbing/errors.py).
"""
from __future__ import annotations

from collections import namedtuple
from pathlib import Path

from ldv.plumbing.ignore import Ignore
from ldv.plumbing.index import UNMERGED, Index, load_index
from ldv.plumbing.objects import TreeEntry, read_commit
from ldv.plumbing.record import Record

from . import workfiles
from .status import Status

TYPE_CHECKING = False   # typing.TYPE_CHECKING without importing typing (start-up);
                        # type checkers read this name as True
if TYPE_CHECKING:  # annotations only: the caller has already opened the Repo, and
    # status must not pay for importing the chunker (pyfastcdc)
    from typing import Callable, Literal

    from ldv.plumbing.chunking import Chunker
    from ldv.plumbing.repository import Repo

    Progress = Callable[[str, int, "int | None"], None]


class Identity(namedtuple("Identity", "name email")):
    """Who authored or committed: Git's ``Name <email>``."""

    __slots__ = ()

    def __str__(self) -> str:
        return f"{self.name} <{self.email}>"


class AddResult(Record):
    """What ``add`` staged: paths added or modified, and deletions staged."""

    __slots__ = ("added", "modified", "removed", "bytes_read")

    def __init__(self) -> None:
        self.added: list[str] = []
        self.modified: list[str] = []
        self.removed: list[str] = []
        self.bytes_read = 0


class Workspace:
    """The working tree, index and HEAD of one repository.

    Paths given to the verbs are relative to ``cwd`` (default: the work-tree root)
    or absolute; they must lie inside the work tree.
    """

    def __init__(self, repo: "Repo", *, progress: Progress | None = None,
                 cwd: Path | None = None):
        self.repo = repo
        self.root = Path(repo.root).resolve()
        self.cwd = Path(cwd).resolve() if cwd is not None else self.root
        self.progress = progress or (lambda label, done, total: None)
        self._ignore: Ignore | None = None
        self._chunker: "Chunker | None" = None
        self._files_cache: dict[bytes, dict] = {}

    # -- shared helpers for the verb modules -----------------------------------

    @property
    def index(self) -> Index:
        """The index as stored now (re-read on each access: other writers exist)."""
        return load_index(self.repo)

    @property
    def ignore(self) -> Ignore:
        if self._ignore is None:
            self._ignore = Ignore(self.root)
        return self._ignore

    @property
    def chunker(self) -> "Chunker":
        if self._chunker is None:
            from ldv.plumbing.chunking import Chunker
            self._chunker = Chunker(self.repo.keyring.chunker_seed)
        return self._chunker

    def normalize(self, user_path: str) -> str:
        return workfiles.normalize(self.root, self.cwd, user_path)

    def hash_file(self, path: str, st) -> bytes:
        return workfiles.hash_file(self.root, path, st, self.chunker,
                                   self.repo.odb.hasher)

    def merging(self, index: Index) -> bool:
        """Is a merge in progress (state file or unmerged entries)?  Cheap, so the
        merge machinery is imported only when it is needed."""
        return (self.repo.ldv_dir / "MERGE_STATE").exists() or \
            index.any_flagged(UNMERGED)

    def head_commit(self) -> bytes | None:
        return self.repo.refs.read("HEAD")

    def head_branch(self) -> str | None:
        """The branch HEAD points at ("main"), or None when detached."""
        target = self.repo.refs.read_symbolic("HEAD")
        if target and target.startswith("refs/heads/"):
            return target[len("refs/heads/"):]
        return target

    def tree_of(self, commit_oid: bytes | None) -> bytes | None:
        if commit_oid is None:
            return None
        return read_commit(self.repo.odb, commit_oid).tree

    def head_tree(self) -> bytes | None:
        return self.tree_of(self.head_commit())

    def files_of(self, tree_oid: bytes | None) -> dict[str, TreeEntry]:
        """{path: TreeEntry} of every file below a tree (cached per tree id)."""
        if tree_oid is None:
            return {}
        cache = self._files_cache
        if tree_oid not in cache:
            if len(cache) >= 4:          # a long-lived Workspace must not hoard trees
                del cache[next(iter(cache))]
            from ldv.plumbing.trees import walk
            cache[tree_oid] = dict(walk(self.repo.odb, tree_oid))
        return cache[tree_oid]

    # -- the verbs ------------------------------------------------------------

    def add(self, paths: list[str], *, update_only: bool = False,
            force: bool = False) -> AddResult:
        """Stage files (writing their objects); deletions under a path are staged too."""
        self._ignore = None    # a verb reads .ldvignore afresh (a checkout may change it)
        from . import add
        return add.add(self, paths, update_only=update_only, force=force)

    def rm(self, paths: list[str], *, cached: bool = False, recursive: bool = False,
           force: bool = False) -> list[str]:
        """Untrack paths (and delete them unless ``cached``); returns removed paths."""
        self._ignore = None    # a verb reads .ldvignore afresh (a checkout may change it)
        from . import add
        return add.rm(self, paths, cached=cached, recursive=recursive, force=force)

    def mv(self, src: str, dst: str) -> None:
        """Move or rename a tracked file or directory, in the index and on disk."""
        self._ignore = None    # a verb reads .ldvignore afresh (a checkout may change it)
        from . import add
        add.mv(self, src, dst)

    def status(self) -> Status:
        self._ignore = None    # a verb reads .ldvignore afresh (a checkout may change it)
        from . import status
        return status.compute(self)

    def commit(self, message: str, *, all: bool = False, allow_empty: bool = False,
               author: Identity, committer: Identity | None = None,
               now: int | None = None, lineage: list[dict] | None = None) -> bytes:
        """Record the index as a new commit on HEAD; returns the commit id."""
        self._ignore = None    # a verb reads .ldvignore afresh (a checkout may change it)
        from . import commit
        return commit.commit(self, message, all=all, allow_empty=allow_empty,
                             author=author, committer=committer or author, now=now,
                             lineage=lineage or [])

    def switch(self, branch: str, *, create: bool = False, start: bytes | None = None,
               force: bool = False) -> None:
        """Make ``branch`` current, rewriting only the files that differ."""
        self._ignore = None    # a verb reads .ldvignore afresh (a checkout may change it)
        from . import checkout
        checkout.switch(self, branch, create=create, start=start, force=force)

    def checkout_detached(self, commit_oid: bytes, *, force: bool = False) -> None:
        """Check out a commit with HEAD detached."""
        self._ignore = None    # a verb reads .ldvignore afresh (a checkout may change it)
        from . import checkout
        checkout.checkout_detached(self, commit_oid, force=force)

    def checkout_paths(self, paths: list[str], *, source: bytes | None = None) -> None:
        """Overwrite files from the index, or from commit ``source`` (index too)."""
        self._ignore = None    # a verb reads .ldvignore afresh (a checkout may change it)
        from . import checkout
        checkout.checkout_paths(self, paths, source=source)

    def restore(self, paths: list[str], *, source: bytes | None = None,
                staged: bool = False, worktree: bool | None = None) -> None:
        """git restore: the work tree from the index (or ``source``); ``staged``:
        the index from HEAD (or ``source``).  ``worktree`` defaults as in git: on,
        unless only ``staged`` was asked for."""
        if worktree is None:
            worktree = not staged
        self._ignore = None    # a verb reads .ldvignore afresh (a checkout may change it)
        from . import checkout
        checkout.restore(self, paths, source=source, staged=staged, worktree=worktree)

    def reset(self, commit_oid: bytes, *,
              mode: Literal["soft", "mixed", "hard"] = "mixed") -> None:
        """Move the current branch (or HEAD) to a commit; mixed/hard reset the index,
        hard the work tree as well."""
        self._ignore = None    # a verb reads .ldvignore afresh (a checkout may change it)
        from . import reset
        reset.reset(self, commit_oid, mode=mode)
