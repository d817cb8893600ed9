"""The public Python API: ``ldv.Repository``, the same calls the CLI makes.

    import ldv
    repo = ldv.Repository.open("data/")
    repo.add(["."])
    oid = repo.commit("first version")
    for entry in repo.log(max_count=5): print(entry.oid_hex, entry.summary)
    print(repo.diff("HEAD~1", "HEAD").name_status())
    text = repo.read("HEAD", "train.jsonl")

Revisions are strings in Git's syntax (``HEAD~2``, ``main``, ``v1``, a hex prefix,
``REV:PATH``).  Errors are the typed errors of ``ldv.plumbing.errors``.
"""
from __future__ import annotations

from pathlib import Path


class Repository:
    """One repository: its plumbing ``Repo`` plus the working tree around it."""

    def __init__(self, repo, *, progress=None, cwd=None):
        self._repo = repo
        self._progress = progress
        self._cwd = Path(cwd) if cwd is not None else None
        self._workspace = None

    # -- opening ----------------------------------------------------------------

    @classmethod
    def open(cls, path=".", *, key=None, progress=None) -> "Repository":
        """Open the repository whose work tree contains ``path``.

        ``key``: a MasterKey, 64 hex characters or 32 bytes; by default
        LDV_MASTER_KEY or the key file written by ``init``.
        """
        from ldv import keysource
        from ldv.plumbing.repository import Repo
        start = Path(path).resolve()
        root = Repo.discover(start)
        return cls(Repo.open(root, keysource.resolve(root, key)), progress=progress,
                   cwd=start if start.is_dir() else start.parent)

    @classmethod
    def init(cls, path=".", *, key=None, kdf: str = "scrypt"):
        """Create a repository in ``path``; return (Repository, key file or None).

        A generated master key is written to the per-user key file; a key given
        explicitly or through LDV_MASTER_KEY is not written anywhere.
        """
        from ldv import keysource
        from ldv.plumbing.keys import write_key_file
        from ldv.plumbing.repository import Repo
        root = Path(path).resolve()
        root.mkdir(parents=True, exist_ok=True)
        master, source = keysource.for_init(key)
        repo = Repo.init(root, master, kdf=kdf)
        key_file = None
        if source == "generated":
            key_file = keysource.key_file_for(root)
            write_key_file(key_file, master)
        return cls(repo, progress=None, cwd=root), key_file

    def close(self) -> None:
        if self._repo is not None:
            self._repo.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    # -- properties -------------------------------------------------------------

    @property
    def root(self) -> Path:
        return Path(self._repo.root)

    @property
    def plumbing(self):
        """The plumbing ``Repo`` (object database, refs, config, keys)."""
        return self._repo

    @property
    def workspace(self):
        """The working tree and index (porcelain.worktree.Workspace)."""
        if self._workspace is None:
            from ldv.porcelain.worktree import Workspace
            self._workspace = Workspace(self._repo, progress=self._progress, cwd=self._cwd)
        return self._workspace

    # -- revisions --------------------------------------------------------------

    def resolve(self, rev: str) -> bytes:
        """The object id ``rev`` names (tags peeled to commits only for ``^{}``)."""
        from ldv.porcelain import revparse
        return revparse.resolve(self._repo, rev)

    def resolve_commit(self, rev: str) -> bytes:
        from ldv.porcelain import revparse
        return revparse.resolve_commit(self._repo, rev)

    def read(self, rev: str, path: str) -> bytes:
        """The bytes of file ``path`` in commit ``rev``."""
        from ldv.porcelain import inspect
        return inspect.read_file(self._repo, rev, path)

    # -- the local workflow -----------------------------------------------------

    def add(self, paths, *, update_only: bool = False):
        return self.workspace.add(list(paths), update_only=update_only)

    def rm(self, paths, *, cached: bool = False, recursive: bool = False, force: bool = False):
        return self.workspace.rm(list(paths), cached=cached, recursive=recursive, force=force)

    def mv(self, src: str, dst: str) -> None:
        self.workspace.mv(src, dst)

    def status(self):
        return self.workspace.status()

    def commit(self, message: str, *, all: bool = False, allow_empty: bool = False,
               author=None, committer=None, now: int | None = None,
               lineage: list[dict] | None = None) -> bytes:
        """Commit the index (``all``: stage tracked changes first); return the id."""
        if author is None:
            from ldv.identity import resolve_identity
            author = resolve_identity(self._repo.config)
        return self.workspace.commit(message, all=all, allow_empty=allow_empty,
                                     author=author, committer=committer, now=now,
                                     lineage=lineage)

    def log(self, rev: str = "HEAD", *, max_count: int | None = None, paths=None,
            first_parent: bool = False):
        """Commits reachable from ``rev``, newest first (a list of LogEntry)."""
        from ldv.porcelain import log, revparse
        starts = [revparse.resolve_commit(self._repo, rev)] if isinstance(rev, str) \
            else [revparse.resolve_commit(self._repo, r) for r in rev]
        paths = [self.workspace.normalize(p) for p in paths or []]
        return list(log.walk(self._repo, starts, max_count=max_count, paths=paths,
                             first_parent=first_parent))

    def diff(self, a: str | None = None, b: str | None = None, *, cached: bool = False,
             paths=None):
        """Changes between two sides, as ``git diff`` picks them.

        No revision: index -> working tree (``cached``: HEAD -> index).
        One: ``a`` -> working tree (``cached``: ``a`` -> index).  Two: ``a`` -> ``b``.
        """
        from ldv.porcelain import diff
        return diff.diff(self._repo, self.workspace, a, b, cached=cached,
                         paths=list(paths or []))

    def switch(self, branch: str, *, create: bool = False, start: str | None = None,
               force: bool = False) -> None:
        start_oid = self.resolve_commit(start) if start else None
        self.workspace.switch(branch, create=create, start=start_oid, force=force)

    def reset(self, rev: str = "HEAD", *, mode: str = "mixed") -> None:
        self.workspace.reset(self.resolve_commit(rev), mode=mode)
