"""Trees: directories as sorted entry lists, split into TREENODEs when large.

A TREE object is a directory's root node.  At height 0 it holds the entries
themselves (name, mode, id, size), sorted in Git's order (a directory sorts as if
its name ended in '/', so a recursive walk comes out sorted by full path).  A large
directory is cut into content-defined TREENODEs (prolly.py); the root and inner
nodes then hold (first sort key, node id, entry count) per child, so a one-entry
change rewrites O(log n) nodes and a lookup reads O(log n) nodes.
"""
from __future__ import annotations

import bisect
from collections import deque
from typing import Iterator, Mapping

from .errors import CorruptObject, InvalidPath
from .objects import (FORMAT_VERSION, MODE_DIR, MODES, Decoder, Encoder, TreeEntry,
                      check_name, read_object, read_uvarint, uvarint)
from .odb import ObjectDatabase, ObjType
from .prolly import TreeBuilder, is_boundary_hash

# (first sort key, node id, number of entries below)
Inner = tuple[bytes, bytes, int]


# -- serialization ----------------------------------------------------------

_MODE_BYTES = {m: uvarint(m) for m in MODES}


def encode_entry(t: TreeEntry) -> bytes:
    """One height-0 entry: str name | u mode | oid | u size."""
    try:
        name = t.name.encode("utf-8")
    except UnicodeEncodeError:
        raise InvalidPath(f"file name {t.name!r} is not valid UTF-8") from None
    if len(t.oid) != 32:
        raise InvalidPath(f"entry {t.name!r} has an id of {len(t.oid)} bytes")
    return b"".join((uvarint(len(name)), name, _MODE_BYTES.get(t.mode) or uvarint(t.mode),
                     t.oid, uvarint(t.size)))


def encode_node(height: int, entries: list) -> bytes:
    """A TREE or TREENODE payload: TreeEntry at height 0, Inner tuples above."""
    if height == 0:
        return b"".join([bytes((FORMAT_VERSION, 0)), *map(encode_entry, entries)])
    e = Encoder()
    e.u(height)
    for key, oid, count in entries:
        e.bytes_(key)
        e.oid(oid)
        e.u(count)
    return e.done()


def decode_node(data) -> tuple[int, list]:
    """Return (height, entries): TreeEntry at height 0, Inner tuples above."""
    d = Decoder(data, "tree")
    height = d.u()
    if height == 0:
        entries = _decode_leaves(bytes(d.data), d.pos)
    else:
        entries = []
        while not d.at_end():
            entries.append((d.bytes_(), d.oid(), d.u()))
        if not entries:
            raise CorruptObject("tree node is empty")
    keys = [_key(x, height) for x in entries]
    if any(a >= b for a, b in zip(keys, keys[1:])):
        raise CorruptObject("tree entries are not sorted")
    return height, entries


def _decode_leaves(data: bytes, pos: int) -> list[TreeEntry]:
    # the hot loop of every directory read: plain locals, no Decoder calls
    out, end, u = [], len(data), read_uvarint
    while pos < end:
        n, pos = u(data, pos)
        raw, pos = data[pos:pos + n], pos + n
        mode, pos = u(data, pos)
        oid, pos = data[pos:pos + 32], pos + 32
        size, pos = u(data, pos)
        if len(raw) != n or len(oid) != 32:
            raise CorruptObject("tree is truncated")
        try:
            name = raw.decode("utf-8")
        except UnicodeDecodeError:
            raise CorruptObject("invalid UTF-8 in a tree entry name") from None
        if mode not in MODES:
            raise CorruptObject(f"tree entry {name!r} has unknown mode {mode:o}")
        if not raw or raw in (b".", b"..") or b"/" in raw or b"\0" in raw:
            raise CorruptObject(f"tree holds an invalid name {name!r}")
        out.append(TreeEntry(name, mode, oid, size))
    return out


def _key(x, height: int) -> bytes:
    return x.sort_key() if height == 0 else x[0]


# -- writing ----------------------------------------------------------------

class _Writer:
    """Feeds one directory to a TreeBuilder; level-0 items are (key, encoded)."""

    def __init__(self, odb: ObjectDatabase):
        self.odb = odb
        self.builder: TreeBuilder = TreeBuilder(self._boundary, self._emit)

    def _boundary(self, level: int, x) -> bool:
        # keyed, so node sizes do not reveal names to the server
        h = x[1] if level else self.odb.hasher.oid(ObjType.TREENODE, x[1])
        return is_boundary_hash(h)

    def _emit(self, level: int, items: list) -> Inner:
        if level == 0:
            payload = b"".join([bytes((FORMAT_VERSION, 0)), *(enc for _, enc in items)])
            count = len(items)
        else:
            payload = encode_node(level, items)
            count = sum(x[2] for x in items)
        return items[0][0], self.odb.put(ObjType.TREENODE, payload), count

    def root(self) -> bytes:
        height, top = self.builder.finish()
        if height == 0:
            payload = b"".join([bytes((FORMAT_VERSION, 0)), *(enc for _, enc in top)])
        else:
            payload = encode_node(height, top)
        return self.odb.put(ObjType.TREE, payload)


def write_tree(odb: ObjectDatabase, entries: list[TreeEntry]) -> bytes:
    """Store one directory; entries may come in any order, names must be unique."""
    entries = sorted(entries, key=TreeEntry.sort_key)
    names = set()
    for t in entries:
        check_name(t.name)
        if t.mode not in MODES:
            raise InvalidPath(f"unknown mode {t.mode:o} for {t.name!r}")
        if t.name in names:
            raise InvalidPath(f"two entries named {t.name!r} in one directory",
                              hint="a path cannot be both a file and a directory")
        names.add(t.name)
    w = _Writer(odb)
    for t in entries:
        w.builder.add((t.sort_key(), encode_entry(t)))
    return w.root()


def build_tree(odb: ObjectDatabase, files: Mapping[str, object]) -> bytes:
    """Write nested trees for flat ``{"a/b.txt": entry}``; return the root id.

    An entry is a TreeEntry (its name is ignored) or a (mode, oid, size) tuple.
    Directories exist only through the files in them.
    """
    root: dict = {}
    for path, e in files.items():
        parts = split_path(path)
        node = root
        for p in parts[:-1]:
            node = node.setdefault(p, {})
            if not isinstance(node, dict):
                raise InvalidPath(f"{path!r} lies under a file",
                                  hint="a path cannot be both a file and a directory")
        if parts[-1] in node:
            raise InvalidPath(f"{path!r} is both a file and a directory")
        mode, oid, size = (e.mode, e.oid, e.size) if isinstance(e, TreeEntry) else e
        node[parts[-1]] = (mode, oid, size)
    return _write_nested(odb, root)[0]


def _write_nested(odb: ObjectDatabase, root: dict) -> tuple[bytes, int]:
    # post-order with an explicit stack: paths may nest deeper than Python recurses
    stack = [("", iter(root.items()), [])]
    while True:
        name, items, entries = stack[-1]
        for child, v in items:
            if isinstance(v, dict):
                stack.append((child, iter(v.items()), []))
                break
            entries.append(TreeEntry(child, *v))
        else:
            stack.pop()
            oid, size = write_tree(odb, entries), sum(t.size for t in entries)
            if not stack:
                return oid, size
            stack[-1][2].append(TreeEntry(name, MODE_DIR, oid, size))


def split_path(path: str) -> list[str]:
    """'a/b/c' -> ['a', 'b', 'c'], rejecting empty, '.' and '..' components."""
    parts = path.split("/")
    for p in parts:
        if not p or p in (".", "..") or "\0" in p:
            raise InvalidPath(f"invalid path {path!r}",
                              hint="use relative paths with '/' between names")
    return parts


# -- reading ----------------------------------------------------------------

def _read_node(odb: ObjectDatabase, oid: bytes, *types: ObjType) -> tuple[int, list]:
    _, data = read_object(odb, oid, *types)
    try:
        return decode_node(data)
    except CorruptObject as exc:
        raise CorruptObject(f"tree {oid.hex()}: {exc.message}", hint="run `ldv fsck`") from None


def _child(odb: ObjectDatabase, x: Inner, height: int) -> list:
    h, entries = _read_node(odb, x[1], ObjType.TREENODE)
    if h != height - 1 or _key(entries[0], h) != x[0]:
        raise CorruptObject(f"tree node {x[1].hex()} does not match its parent",
                            hint="run `ldv fsck`")
    return entries


def _iter_leaf_nodes(odb, height: int, entries: list) -> Iterator[list[TreeEntry]]:
    if height == 0:
        yield entries
        return
    for x in entries:
        yield from _iter_leaf_nodes(odb, height - 1, _child(odb, x, height))


def iter_tree(odb: ObjectDatabase, oid: bytes) -> Iterator[TreeEntry]:
    """One directory's entries in order, streaming over its nodes."""
    height, entries = _read_node(odb, oid, ObjType.TREE)
    prev = None
    for node in _iter_leaf_nodes(odb, height, entries):
        # decode_node checked the order inside each node; check across nodes
        if prev is not None and node and node[0].sort_key() <= prev:
            raise CorruptObject(f"tree {oid.hex()} is not sorted", hint="run `ldv fsck`")
        if node:
            prev = node[-1].sort_key()
        yield from node


def read_tree(odb: ObjectDatabase, oid: bytes) -> list[TreeEntry]:
    return list(iter_tree(odb, oid))


def find_entry(odb: ObjectDatabase, tree_oid: bytes, name: str) -> TreeEntry | None:
    """One name in one directory, reading O(log n) nodes."""
    height, root = _read_node(odb, tree_oid, ObjType.TREE)
    raw = name.encode("utf-8", "surrogatepass")
    for key in (raw, raw + b"/"):
        h, entries = height, root
        while h:
            keys = [x[0] for x in entries]
            i = bisect.bisect_right(keys, key) - 1
            if i < 0:
                break
            entries, h = _child(odb, entries[i], h), h - 1
        if h:
            continue
        for t in entries:
            if t.name == name:
                return t
    return None


def lookup(odb: ObjectDatabase, tree_oid: bytes, path: str) -> TreeEntry | None:
    """The entry at ``path`` ("a/b/c.txt") under the tree, or None."""
    parts = split_path(path)
    oid = tree_oid
    for i, name in enumerate(parts):
        t = find_entry(odb, oid, name)
        if t is None or i == len(parts) - 1:
            return t
        if t.mode != MODE_DIR:
            return None
        oid = t.oid
    return None


def walk(odb: ObjectDatabase, tree_oid: bytes, prefix: str = "") -> Iterator[tuple[str, TreeEntry]]:
    """Every file and symlink below the tree as (path, entry), sorted by path."""
    stack = [(prefix, iter_tree(odb, tree_oid))]
    while stack:
        pfx, entries = stack[-1]
        t = next(entries, None)
        if t is None:
            stack.pop()
        elif t.mode == MODE_DIR:
            stack.append((pfx + t.name + "/", iter_tree(odb, t.oid)))
        else:
            yield pfx + t.name, t


class _Sub(tuple):
    """An unread node in a diff: (height of its entries, id, first sort key)."""

    height = property(lambda self: self[0])
    oid = property(lambda self: self[1])


def _units(height: int, entries: list) -> list:
    if height == 0:
        return list(entries)
    return [_Sub((height - 1, x[1], x[0])) for x in entries]


def _diff_side(odb, oid: bytes | None) -> deque:
    if oid is None:
        return deque()
    return deque(_units(*_read_node(odb, oid, ObjType.TREE)))


def _expand(odb, side: deque) -> None:
    sub = side.popleft()
    entries = _child(odb, (sub[2], sub.oid, 0), sub.height + 1)
    side.extendleft(reversed(_units(sub.height, entries)))


def diff_trees(odb: ObjectDatabase, a: bytes | None, b: bytes | None,
               prefix: str = "") -> Iterator[tuple[str, TreeEntry | None, TreeEntry | None]]:
    """Changed files between two trees as (path, old, new), sorted by path.

    Subtrees, and nodes of a large directory, with equal ids on both sides are
    skipped without reading them.
    """
    stack = [_diff_dir(odb, a, b, prefix)]
    while stack:
        item = next(stack[-1], None)
        if item is None:
            stack.pop()
        elif item[0] is _DESCEND:
            stack.append(_diff_dir(odb, *item[1:]))
        else:
            yield item


_DESCEND = object()


def _diff_dir(odb: ObjectDatabase, a: bytes | None, b: bytes | None, prefix: str):
    """One directory's changes; subdirectories are (_DESCEND, a, b, prefix)."""
    if a == b:
        return
    old, new = _diff_side(odb, a), _diff_side(odb, b)
    while old or new:
        x, y = (old[0] if old else None), (new[0] if new else None)
        if isinstance(x, _Sub) and isinstance(y, _Sub) and x.oid == y.oid:
            old.popleft()
            new.popleft()
        elif isinstance(x, _Sub) and not (isinstance(y, _Sub) and y.height > x.height):
            _expand(odb, old)
        elif isinstance(y, _Sub):
            _expand(odb, new)
        elif y is None or (x is not None and x.sort_key() < y.sort_key()):
            yield from _one_side(odb, prefix, old.popleft(), None)
        elif x is None or y.sort_key() < x.sort_key():
            yield from _one_side(odb, prefix, None, new.popleft())
        else:
            old.popleft()
            new.popleft()
            if x.mode == MODE_DIR:
                if x.oid != y.oid:
                    yield _DESCEND, x.oid, y.oid, prefix + x.name + "/"
            elif (x.mode, x.oid) != (y.mode, y.oid):
                yield prefix + x.name, x, y


def _one_side(odb, prefix: str, x: TreeEntry | None, y: TreeEntry | None):
    t = x if x is not None else y
    if t.mode != MODE_DIR:
        yield prefix + t.name, x, y
        return
    sub = prefix + t.name + "/"
    for path, e in walk(odb, t.oid, sub):
        yield (path, e, None) if x is not None else (path, None, e)
