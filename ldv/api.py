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
        import secrets

        from ldv import keysource
        from ldv.plumbing.keys import default_key_file, write_key_file
        from ldv.plumbing.repository import Repo
        root = Path(path).resolve()
        root.mkdir(parents=True, exist_ok=True)
        master, source = keysource.for_init(key)
        if source != "generated":
            return cls(Repo.init(root, master, kdf=kdf), cwd=root), None
        # The key file is written (and fsynced) before anything is encrypted under
        # it, so no crash can leave a repository whose key exists nowhere.
        repo_id = secrets.token_hex(16)
        key_file = default_key_file(keysource.config_dir(), repo_id)
        write_key_file(key_file, master)
        try:
            repo = Repo.init(root, master, kdf=kdf, repo_id=repo_id)
        except BaseException:
            key_file.unlink(missing_ok=True)     # nothing was sealed under it
            raise
        return cls(repo, cwd=root), key_file

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

    def open_file(self, rev: str, path: str):
        """A seekable binary stream over ``path`` at ``rev``; reads decrypt only
        the chunks they touch, so a slice of a 100 GB file costs a slice."""
        from ldv.plumbing.blobs import open_blob
        from ldv.plumbing.errors import BadRevision
        from ldv.plumbing.odb import ObjType
        from ldv.porcelain import revparse
        r = revparse.parse(self._repo, f"{rev}:{path}")
        if r.type != ObjType.BLOB:
            raise BadRevision(f"{path!r} is a directory in {rev!r}", hint="name a file")
        return open_blob(self._repo.odb, r.oid)

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
        return list(self.iter_log(rev, max_count=max_count, paths=paths,
                                  first_parent=first_parent))

    def iter_log(self, rev: str = "HEAD", *, max_count: int | None = None, paths=None,
                 first_parent: bool = False):
        """``log`` one LogEntry at a time: what precedes a damaged commit comes
        out before the error does."""
        from ldv.porcelain import log, revparse
        starts = [revparse.resolve_commit(self._repo, rev)] if isinstance(rev, str) \
            else [revparse.resolve_commit(self._repo, r) for r in rev]
        paths = [self.workspace.normalize(p) for p in paths or []]
        return log.walk(self._repo, starts, max_count=max_count, paths=paths,
                        first_parent=first_parent)

    def diff(self, a: str | None = None, b: str | None = None, *, cached: bool = False,
             paths=None, renames: bool = True):
        """Changes between two sides, as ``git diff`` picks them.

        No revision: index -> working tree (``cached``: HEAD -> index).
        One: ``a`` -> working tree (``cached``: ``a`` -> index).  Two: ``a`` -> ``b``.
        ``renames``: pair a deleted and an added file with equal content (R100).
        """
        from ldv.porcelain import diff
        return diff.diff(self._repo, self.workspace, a, b, cached=cached,
                         paths=list(paths or []), renames=renames)

    def switch(self, branch: str, *, create: bool = False, start: str | None = None,
               force: bool = False) -> None:
        start_oid = self.resolve_commit(start) if start else None
        self.workspace.switch(branch, create=create, start=start_oid, force=force)

    def reset(self, rev: str = "HEAD", *, mode: str = "mixed") -> None:
        self.workspace.reset(self.resolve_commit(rev), mode=mode)

    def checkout(self, rev: str, *, force: bool = False) -> None:
        """Switch to branch ``rev``, or detach HEAD at the commit it names."""
        from ldv.porcelain.refs_ops import is_branch
        if is_branch(self._repo, rev):
            self.workspace.switch(rev, force=force)
        else:
            self.workspace.checkout_detached(self.resolve_commit(rev), force=force)

    def restore(self, paths, *, source: str | None = None, staged: bool = False,
                worktree: bool = True) -> None:
        src = self.resolve_commit(source) if source else None
        self.workspace.restore(list(paths), source=src, staged=staged, worktree=worktree)

    # -- lineage (docs/LINEAGE.md) ------------------------------------------------

    def run(self, command, *, outputs, inputs=(), shell: bool = False,
            message: str | None = None):
        """Run ``command`` (argv, or a shell line with ``shell``) on committed
        ``inputs``; commit ``outputs`` with a lineage record.  Returns a RunResult
        (exit_code, commit, record); a failing command commits nothing."""
        from ldv.identity import resolve_identity
        from ldv.porcelain.run import RunOptions, run
        argv = [command] if isinstance(command, str) else list(command)
        return run(self.workspace, RunOptions(
            command=argv, inputs=list(inputs), outputs=list(outputs), shell=shell,
            message=message, author=resolve_identity(self._repo.config)))

    def lineage(self, path: str, rev: str = "HEAD", *, max_depth: int = 32):
        """The upstream graph of ``path`` at ``rev`` (porcelain.lineage.Graph)."""
        from ldv.porcelain.lineage import lineage
        return lineage(self._repo, self.resolve_commit(rev), self.workspace.normalize(path),
                       max_depth=max_depth)

    # -- merging (porcelain/mergeops.py, docs/MERGE.md) ---------------------------

    def merge(self, rev: str, *, message: str | None = None, ff: str = "auto",
              author=None):
        """Merge ``rev`` into HEAD (``ff``: auto, no, only); a MergeOutcome.
        Conflicts raise errors.MergeConflict (``.outcome`` lists them)."""
        from ldv.porcelain import mergeops
        return mergeops.merge(self.workspace, self.resolve_commit(rev), rev,
                              message=message, ff=ff, author=author or self._identity())

    def merge_continue(self, *, author=None) -> bytes:
        from ldv.porcelain import mergeops
        return mergeops.continue_(self.workspace, author=author or self._identity())

    def merge_abort(self) -> None:
        from ldv.porcelain import mergeops
        mergeops.abort(self.workspace)

    def cherry_pick(self, rev: str, *, author=None):
        from ldv.porcelain import cherrypick
        return cherrypick.cherry_pick(self.workspace, self.resolve_commit(rev),
                                      author=author or self._identity())

    def revert(self, rev: str, *, author=None):
        from ldv.porcelain import cherrypick
        return cherrypick.revert(self.workspace, self.resolve_commit(rev),
                                 author=author or self._identity())

    def _identity(self):
        from ldv.identity import resolve_identity
        return resolve_identity(self._repo.config)

    # -- branches and tags -------------------------------------------------------

    @property
    def head_branch(self) -> str | None:
        """The current branch's short name; None when HEAD is detached."""
        from ldv.porcelain.refs_ops import current_branch
        return current_branch(self._repo)

    def branches(self):
        """[RefInfo(name, oid, current)] sorted by name."""
        from ldv.porcelain import refs_ops
        return refs_ops.list_branches(self._repo)

    def create_branch(self, name: str, start: str = "HEAD", *, force: bool = False) -> None:
        from ldv.porcelain import refs_ops
        refs_ops.create_branch(self._repo, name, self.resolve_commit(start), force=force)

    def delete_branch(self, name: str, *, force: bool = False) -> bytes:
        from ldv.porcelain import refs_ops
        return refs_ops.delete_branch(self._repo, name, force=force)

    def rename_branch(self, old: str, new: str, *, force: bool = False) -> None:
        from ldv.porcelain import refs_ops
        refs_ops.rename_branch(self._repo, old, new, force=force)

    def tags(self):
        from ldv.porcelain import refs_ops
        return refs_ops.list_tags(self._repo)

    def create_tag(self, name: str, rev: str = "HEAD", *, message: str | None = None,
                   tagger=None, force: bool = False) -> bytes:
        """A lightweight tag, or with ``message`` an annotated (encrypted) tag object."""
        import time

        from ldv.porcelain import refs_ops
        kwargs = {}
        if message is not None:
            if tagger is None:
                from ldv.identity import resolve_identity
                tagger = resolve_identity(self._repo.config)
            kwargs = {"message": message, "tagger": str(tagger), "now": int(time.time()),
                      "tz": _local_tz()}
        return refs_ops.create_tag(self._repo, name, self.resolve(rev), force=force, **kwargs)

    def delete_tag(self, name: str) -> bytes:
        from ldv.porcelain import refs_ops
        return refs_ops.delete_tag(self._repo, name)

    # -- upkeep ------------------------------------------------------------------

    def gc(self):
        """Drop unreachable objects and repack (porcelain.maintenance.GcReport)."""
        from ldv.porcelain import maintenance
        return maintenance.gc(self._repo, progress=self._progress or maintenance._noop)

    def rebuild_index(self) -> tuple[int, list[str]]:
        """Regenerate the pack index from the packs' headers (when it is damaged or
        lost); (objects indexed, packs left out with why).  Holds the repository
        lock: no writer may add packs meanwhile."""
        skipped: list[str] = []
        with self._repo.lock(timeout=30):
            n = self._repo.odb.rebuild_index(
                on_error=lambda name, e: skipped.append(f"{name}: {e}"))
        return n, skipped

    def fsck(self):
        """Verify every pack, object and ref (porcelain.maintenance.FsckReport)."""
        from ldv.porcelain import maintenance
        return maintenance.fsck(self._repo, progress=self._progress or maintenance._noop)

    def config_get(self, key: str) -> str | None:
        from ldv.porcelain import config_ops
        return config_ops.get(self._repo, key)

    def config_set(self, key: str, value: str) -> None:
        from ldv.porcelain import config_ops
        config_ops.set_(self._repo, key, value)


def _local_tz() -> int:
    """Minutes east of UTC, now, in the local zone."""
    import time
    return time.localtime().tm_gmtoff // 60
