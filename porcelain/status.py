"""status: what is staged (index vs HEAD), what is not (work tree vs index), what
is untracked -- Git's three-way picture, computed with the stat cache.

A tracked file whose lstat equals its index entry is not opened.  A file whose stat
changed but whose size did not is hashed (into nothing: HashingODB) and, when its
content turns out unchanged, its entry is refreshed so the next status is stat-only
again (Git's index refresh).
"""
from __future__ import annotations

import os
import struct
import time
from collections import namedtuple

from ldv.plumbing.errors import LdvError, RepositoryLocked
from ldv.plumbing.index import (COARSE_WINDOW_NS, RACY_WINDOW_NS, SKIP_WORKTREE,
                                STAT_KEY, Entry, Index, load_index, mode_of,
                                save_index)
from ldv.plumbing.objects import MODE_SYMLINK
from ldv.plumbing.record import Record

from . import workfiles


# A changed path and its code: A added, M modified, D deleted, T type changed
# (unmerged: UU AA DU UD, see mergeops.py).
Change = namedtuple("Change", "path code")


class Status(Record):
    __slots__ = ("branch", "head", "staged", "unstaged", "untracked", "unmerged",
                 "in_progress", "upstream")

    def __init__(self, branch: str | None, head: bytes | None,
                 staged: list[Change] | None = None, unstaged: list[Change] | None = None,
                 untracked: list[str] | None = None, unmerged: list[Change] | None = None,
                 in_progress: tuple[str, str] | None = None,
                 upstream: tuple[str, int, int] | None = None):
        self.branch = branch
        self.head = head
        self.staged = [] if staged is None else staged
        self.unstaged = [] if unstaged is None else unstaged
        self.untracked = [] if untracked is None else untracked   # directories end with "/"
        self.unmerged = [] if unmerged is None else unmerged
        self.in_progress = in_progress     # (merge|cherry-pick|revert, label)
        self.upstream = upstream           # ("origin/BRANCH", ahead, behind)

    @property
    def clean(self) -> bool:
        return not (self.staged or self.unstaged or self.untracked or self.unmerged)

    def porcelain_lines(self) -> list[str]:
        """`git status --porcelain` (v1) lines: XY PATH, then ?? PATH."""
        x = {c.path: c.code for c in self.staged}
        y = {c.path: c.code for c in self.unstaged}
        u = {c.path: c.code for c in self.unmerged}
        lines = [f"{u.get(p) or x.get(p, ' ') + y.get(p, ' ')} {quote_path(p)}"
                 for p in sorted(x.keys() | y.keys() | u.keys())]
        lines += [f"?? {quote_path(p)}" for p in self.untracked]
        return lines


_ESCAPES = {7: "a", 8: "b", 9: "t", 10: "n", 11: "v", 12: "f", 13: "r", 34: '"', 92: "\\"}


def quote_path(path: str, *, quote_space: bool = True) -> str:
    """Git's C-style quoting (core.quotePath on): non-ASCII bytes as octal."""
    raw = path.encode("utf-8", "surrogateescape")
    if not any(b < 0x20 or b >= 0x7f or b in (34, 92) or (quote_space and b == 32)
               for b in raw):
        return path
    out = []
    for b in raw:
        if b in _ESCAPES:
            out.append("\\" + _ESCAPES[b])
        elif b < 0x20 or b >= 0x7f:
            out.append(f"\\{b:03o}")
        else:
            out.append(chr(b))
    return '"' + "".join(out) + '"'


def entry_code(old, new) -> str | None:
    """The change code from ``old`` to ``new`` ((mode, oid) pairs or None)."""
    if old == new:
        return None
    if old is None:
        return "A"
    if new is None:
        return "D"
    if (old[0] == MODE_SYMLINK) != (new[0] == MODE_SYMLINK):
        return "T"
    return "M"


def staged_changes(ws, index: Index) -> list[Change]:
    head = ws.head_commit()
    if head is not None and index.head == head:
        return []            # the index was written as HEAD's tree: nothing staged
    head_tree = ws.tree_of(head)
    if index.tree is not None and index.tree == head_tree:
        return []            # tree cache: the index is HEAD, nothing staged
    # The index's tree, computed (not stored) with the tree cache, diffed against
    # HEAD: only directories that changed are written or read.
    from ldv.plumbing.trees import diff_trees
    scratch = LayeredODB(workfiles.HashingODB(ws.repo.odb.hasher), ws.repo.odb)
    ours = index.write_tree(scratch)
    out = []
    for path, old, new in diff_trees(scratch, head_tree, ours):
        code = entry_code(old and (old.mode, old.oid), new and (new.mode, new.oid))
        if code:
            out.append(Change(path, code))
    return out


class LayeredODB:
    """Reads from a scratch database first, then from the repository's."""

    def __init__(self, top, below):
        self.top, self.below, self.hasher = top, below, top.hasher

    def has(self, oid: bytes) -> bool:
        return self.top.has(oid) or self.below.has(oid)

    def get(self, oid: bytes):
        return self.top.get(oid) if self.top.has(oid) else self.below.get(oid)

    def put(self, type_code, data, *, delta_base=None) -> bytes:
        return self.top.put(type_code, data)


def worktree_code(ws, e: Entry, st: os.stat_result | None, refreshed: dict) -> str | None:
    """How the file differs from its entry (hashing only when stat cannot tell)."""
    if st is None:
        return "D"
    if e.stat_matches(st):
        return None
    mode = mode_of(st)
    if (mode == MODE_SYMLINK) != (e.mode == MODE_SYMLINK):
        return "T"
    if mode != e.mode or st.st_size != e.size:
        return "M"
    try:
        if ws.hash_file(e.path, st) != e.oid:
            return "M"
    except (FileNotFoundError, NotADirectoryError):
        return "D"                   # deleted while we looked
    refreshed[e.path] = Entry.from_stat(e.path, e.mode, e.oid, st)
    return None


def compute(ws) -> Status:
    index = load_index(ws.repo)
    unmerged, in_progress = {}, None
    if ws.merging(index):
        from .mergestate import read_state, unmerged_codes
        state = read_state(ws.repo)
        unmerged = unmerged_codes(ws, index, state)
        in_progress = (state.kind, state.label) if state else None
    unseen, suspects, untracked_files = compare_stat(ws, index)
    refreshed: dict[str, Entry] = {}
    unstaged = []
    for path in sorted(unseen.keys() | suspects.keys()):
        e = index.get(path)
        if path in unmerged or e.flags & SKIP_WORKTREE:   # partial clone: not checked out
            continue
        st = suspects[path] if path in suspects else workfiles.lstat(ws.root, path)
        code = worktree_code(ws, e, st, refreshed)
        if code:
            unstaged.append(Change(path, code))
    staged = [c for c in staged_changes(ws, index) if c.path not in unmerged]
    branch, head = ws.head_branch(), ws.head_commit()
    status = Status(branch, head, staged, unstaged,
                    collapse_untracked(untracked_files, index),
                    [Change(p, code) for p, code in sorted(unmerged.items())], in_progress,
                    tracking(ws.repo, branch, head))
    if refreshed:
        write_refreshed(ws, refreshed)
    return status


def tracking(repo, branch: str | None, head: bytes | None,
             remote: str = "origin") -> tuple[str, int, int] | None:
    """("origin/BRANCH", commits ahead, commits behind) when the last fetch
    recorded that branch (what `ldv pull` merges), as `git status` shows a
    branch against its upstream; None otherwise.  Counting reads the commits
    back to the merge base only, and nothing when both point at one commit."""
    if branch is None or head is None:
        return None
    theirs = repo.refs.read(f"refs/remotes/{remote}/{branch}")
    if theirs is None:
        return None
    if theirs == head:
        return (f"{remote}/{branch}", 0, 0)
    from .mergebase import ahead_behind
    return (f"{remote}/{branch}", *ahead_behind(repo.odb, head, theirs))


def compare_stat(ws, index: Index) -> tuple[dict, dict[str, os.stat_result], list[str]]:
    """One walk of the work tree against the index's stat data.

    Returns the tracked paths the walk did not see (deleted, ignored, or no longer
    a file: the caller looks them up), the tracked files whose lstat differs from
    their entry (with that lstat), and the untracked files.  This loop runs once
    per file in the tree, so it works on packed keys (Index.stat_keys) and never
    stats an untracked file.
    """
    native = _native_compare(ws, index)
    if native is not None:
        return native
    unseen = dict(index.stat_keys())      # what remains after the walk was not seen
    pop, pack = unseen.pop, STAT_KEY.pack
    suspects: dict[str, os.stat_result] = {}
    untracked: list[str] = []
    for prefix, files in workfiles.scan_dirs(ws.root, ws.ignore):
        for d in files:
            path = prefix + d.name
            key = pop(path, None)
            if key is None:
                untracked.append(path)
                continue
            st = d.stat(follow_symlinks=False)
            # index.stat_key(st), inlined: this is the hot loop
            if key != pack(0, st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino):
                if mode_of(st) is None:
                    unseen[path] = key        # became a FIFO or the like: look again
                else:
                    suspects[path] = st
    return unseen, suspects, untracked


NATIVE = True     # use plumbing/_native.c when built (tests compare both paths)


def _native_compare(ws, index: Index):
    """compare_stat() with the per-file loop in C (plumbing/_native.c): lstat of every
    entry and a name count of every tracked directory, on threads, no Python object
    per unchanged file.  Directories whose names may include untracked ones are
    listed here.  None when the extension is not built or the index was modified."""
    packed = index.packed() if NATIVE else None
    if packed is None or not packed[0]:
        return None
    try:
        from ldv.plumbing import _native
    except ImportError:
        return None
    count, records, names = packed
    threads = min(4, len(os.sched_getaffinity(0)))
    use_cache = ws.repo.config.get("core.untrackedCache") != "false"
    cache = _load_dir_cache(ws.repo, index) if use_cache else None
    try:
        mismatched, dirs, keys = _native.scan_tracked(
            str(ws.root), names, records, count, threads, cache or b"",
            time.time_ns(), RACY_WINDOW_NS, COARSE_WINDOW_NS)
    except ValueError:
        return None   # names not in byte order (undecodable ones): the Python walk
    if use_cache and keys != cache and any(keys):
        _save_dir_cache(ws.repo, index, keys)
    # the caller looks at each of these as it does at a path the walk did not see
    unseen = {index.path_at(i): None for i in mismatched}
    return unseen, {}, untracked_in(ws, index, dirs)


# The directory cache (Git's untracked cache): for each directory the native scan
# found holding exactly the index's names, its (mtime, ctime, inode) key
# (plumbing/_native.c).  Valid only for the index it was computed against, named by
# the index's write stamp and entry count; sealed like every file under .ldv.
DIR_CACHE = "dircache"
_DIR_CACHE_HEAD = struct.Struct("<qq")


def _load_dir_cache(repo, index: Index) -> bytes | None:
    try:
        raw = repo.read_secret(DIR_CACHE)
    except LdvError:
        return None                  # damaged (a crash while writing): rebuilt
    if raw is None or len(raw) < _DIR_CACHE_HEAD.size:
        return None
    if _DIR_CACHE_HEAD.unpack_from(raw) != (index.stamp_ns, len(index)):
        return None                  # made for another index
    return raw[_DIR_CACHE_HEAD.size:]


def _save_dir_cache(repo, index: Index, keys: bytes) -> None:
    try:
        repo.write_secret(DIR_CACHE, _DIR_CACHE_HEAD.pack(index.stamp_ns, len(index))
                          + keys)
    except LdvError:
        pass                         # a read-only repository: status still answers


def untracked_in(ws, index: Index, dirs: list[str]) -> list[str]:
    """Untracked, not ignored files directly in each of ``dirs`` (tracked
    directories), and everything below their untracked subdirectories."""
    root, ignore = str(ws.root), ws.ignore
    out: list[str] = []
    for rel in dirs:
        rules = ignore.has_rules(rel)
        if rules and rel and ignore.is_ignored(rel, True):
            continue                  # tracked files in an ignored directory
        prefix = rel + "/" if rel else ""
        try:
            it = os.scandir(f"{root}/{rel}" if rel else root)
        except (FileNotFoundError, NotADirectoryError, PermissionError):
            continue
        with it:
            for d in it:
                path = prefix + d.name
                if d.is_dir(follow_symlinks=False):
                    if (not rel and d.name == workfiles.REPO_DIR) or index.has_dir(path):
                        continue      # the repository; or a tracked directory (listed
                                      # here only if the native scan flagged it too)
                    if rules and ignore.excluded(path, True):
                        continue
                    out.extend(p for p, _ in workfiles.scan(ws.root, ignore, path))
                elif d.is_file(follow_symlinks=False) or d.is_symlink():
                    if path in index or (rules and ignore.excluded(path, False)):
                        continue
                    out.append(path)
    return out


def collapse_untracked(files: list[str], index: Index) -> list[str]:
    """Git's default: a directory holding no tracked file shows as "dir/"."""
    if not files:
        return []
    tracked_dirs = index.dirs()
    out = set()
    for f in files:
        parts = f.split("/")
        shown = f
        for k in range(1, len(parts)):
            d = "/".join(parts[:k])
            if d not in tracked_dirs:
                # git lists no untracked directory named like a tracked file
                shown = None if d in index else d + "/"
                break
        if shown:
            out.add(shown)
    return sorted(out)


def write_refreshed(ws, refreshed: dict[str, Entry]) -> None:
    """Record fresh stat data for files found unchanged; skipped if someone writes."""
    try:
        with ws.repo.lock():
            index = load_index(ws.repo)
            for e in refreshed.values():
                index.refresh(e)        # unless its content changed meanwhile
            save_index(ws.repo, index)
    except RepositoryLocked:
        pass   # another writer holds the index; the next status refreshes
