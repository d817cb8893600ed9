"""Looking at objects: ``cat-file``, ``ls-tree``, ``ls-files``, ``show``, file reads.

Returns data (and Git-like text for ``cat-file -p``); the CLI prints it.
"""
from __future__ import annotations

from dataclasses import dataclass

from ldv.plumbing.blobs import blob_size, open_blob
from ldv.plumbing.errors import BadRevision
from ldv.plumbing.objects import MODE_DIR, Commit, Tag, read_commit, read_tag
from ldv.plumbing.odb import ObjType
from ldv.plumbing.trees import iter_tree, walk

from . import revparse

TYPE_NAMES = {ObjType.CHUNK: "chunk", ObjType.BLOB: "blob", ObjType.BLOBNODE: "blobnode",
              ObjType.TREE: "tree", ObjType.TREENODE: "treenode", ObjType.COMMIT: "commit",
              ObjType.TAG: "tag", ObjType.META: "meta"}


@dataclass(frozen=True)
class TreeLine:
    mode: int
    type: str
    oid: bytes
    size: int
    path: str

    def text(self, long: bool = False) -> str:
        size = f" {self.size:>10}" if long else ""
        if long and self.type == "tree":
            size = f" {'-':>10}"
        return f"{self.mode:06o} {self.type} {self.oid.hex()}{size}\t{self.path}"


def read_file(repo, rev: str, path: str) -> bytes:
    """The bytes of ``path`` in commit ``rev``."""
    r = revparse.parse(repo, f"{rev}:{path}")
    if r.type != ObjType.BLOB:
        raise BadRevision(f"{path!r} is a directory in {rev!r}", hint="name a file")
    return read_blob(repo, r.oid)


def read_blob(repo, oid: bytes) -> bytes:
    with open_blob(repo.odb, oid) as f:
        return f.read()


def object_type(repo, rev: str) -> str:
    return TYPE_NAMES[revparse.parse(repo, rev).type]


def object_size(repo, rev: str) -> int:
    r = revparse.parse(repo, rev)
    if r.type == ObjType.BLOB:
        return blob_size(repo.odb, r.oid)
    return len(repo.odb.get(r.oid)[1])


def pretty(repo, rev: str) -> bytes:
    """``cat-file -p``: a file's bytes, a tree's listing, a commit's or tag's header."""
    r = revparse.parse(repo, rev)
    if r.type == ObjType.BLOB:
        return read_blob(repo, r.oid)
    if r.type == ObjType.TREE:
        return "".join(line.text() + "\n" for line in ls_tree_oid(repo, r.oid)).encode()
    if r.type == ObjType.COMMIT:
        return commit_text(read_commit(repo.odb, r.oid)).encode()
    if r.type == ObjType.TAG:
        return tag_text(read_tag(repo.odb, r.oid)).encode()
    return repo.odb.get(r.oid)[1]


def commit_text(c: Commit) -> str:
    lines = [f"tree {c.tree.hex()}"]
    lines += [f"parent {p.hex()}" for p in c.parents]
    lines.append(f"author {c.author} {c.author_time} {tz_text(c.author_tz)}")
    lines.append(f"committer {c.committer} {c.commit_time} {tz_text(c.commit_tz)}")
    if c.lineage:
        import json
        lines.append("lineage " + json.dumps(c.lineage, sort_keys=True))
    return "\n".join(lines) + "\n\n" + c.message + ("" if c.message.endswith("\n") else "\n")


def tag_text(t: Tag) -> str:
    return (f"object {t.target.hex()}\ntype {TYPE_NAMES[ObjType(t.target_type)]}\n"
            f"tag {t.name}\ntagger {t.tagger} {t.time} {tz_text(t.tz)}\n\n{t.message}"
            + ("" if t.message.endswith("\n") else "\n"))


def tz_text(minutes: int) -> str:
    sign = "-" if minutes < 0 else "+"
    m = abs(minutes)
    return f"{sign}{m // 60:02d}{m % 60:02d}"


def ls_tree(repo, rev: str, *, recursive: bool = False, paths=None) -> list[TreeLine]:
    """Entries of the tree ``rev`` names (``REV:DIR`` for a subdirectory)."""
    tree = revparse.resolve_tree(repo, rev)
    lines = ls_tree_oid(repo, tree, recursive=recursive)
    if paths:
        wanted = [p.strip("/") for p in paths]
        lines = [ln for ln in lines if any(ln.path == w or ln.path.startswith(w + "/")
                                           for w in wanted)]
    return lines


def ls_tree_oid(repo, tree: bytes, *, recursive: bool = False) -> list[TreeLine]:
    if recursive:
        return [TreeLine(e.mode, "blob", e.oid, e.size, p) for p, e in walk(repo.odb, tree)]
    return [TreeLine(e.mode, "tree" if e.mode == MODE_DIR else "blob", e.oid, e.size, e.name)
            for e in iter_tree(repo.odb, tree)]


def ls_files(workspace, *, stage: bool = False) -> list[str]:
    """Tracked paths in the index (``stage``: with mode and id, as ``git ls-files -s``)."""
    if stage:
        return [f"{e.mode:06o} {e.oid.hex()} 0\t{e.path}" for e in workspace.index]
    return [e.path for e in workspace.index]
