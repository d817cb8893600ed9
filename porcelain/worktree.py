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

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Callable, Literal

if TYPE_CHECKING:  # only for annotations; no import cycle hides here
    from ldv.plumbing.repository import Repo

Progress = Callable[[str, int, "int | None"], None]


@dataclass
class Identity:
    """Who authored or committed: Git's ``Name <email>``."""

    name: str
    email: str

    def __str__(self) -> str:
        return f"{self.name} <{self.email}>"


@dataclass
class AddResult:
    """What ``add`` staged: paths added or modified, and deletions staged."""

    added: list[str] = field(default_factory=list)
    modified: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    bytes_read: int = 0


class Workspace:
    """The working tree, index and HEAD of one repository."""

    def __init__(self, repo: "Repo", *, progress: Progress | None = None):
        self.repo = repo
        self.progress = progress or (lambda label, done, total: None)
        self._index = None

    # Implementations land in the verb modules; signatures are the contract with ldv/.
    def add(self, paths: list[str], *, update_only: bool = False) -> AddResult:
        raise NotImplementedError

    def rm(self, paths: list[str], *, cached: bool = False, recursive: bool = False,
           force: bool = False) -> list[str]:
        raise NotImplementedError

    def mv(self, src: str, dst: str) -> None:
        raise NotImplementedError

    def status(self):
        raise NotImplementedError

    def commit(self, message: str, *, all: bool = False, allow_empty: bool = False,
               author: Identity, committer: Identity | None = None,
               now: int | None = None, lineage: list[dict] | None = None) -> bytes:
        raise NotImplementedError

    def switch(self, branch: str, *, create: bool = False, start: bytes | None = None,
               force: bool = False) -> None:
        raise NotImplementedError

    def checkout_detached(self, commit_oid: bytes, *, force: bool = False) -> None:
        raise NotImplementedError

    def checkout_paths(self, paths: list[str], *, source: bytes | None = None) -> None:
        raise NotImplementedError

    def restore(self, paths: list[str], *, source: bytes | None = None,
                staged: bool = False, worktree: bool = True) -> None:
        raise NotImplementedError

    def reset(self, commit_oid: bytes, *,
              mode: Literal["soft", "mixed", "hard"] = "mixed") -> None:
        raise NotImplementedError

    def head_commit(self) -> bytes | None:
        raise NotImplementedError

    def head_branch(self) -> str | None:
        raise NotImplementedError
