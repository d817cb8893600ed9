"""Objects and their canonical serializations: tree entries, commits, tags.

Every payload starts with a format version byte (``FORMAT_VERSION``).  Integers are
LEB128 varints (minimal encoding enforced), signed ones zigzag-encoded; strings are
UTF-8 with a varint length; ids are 32 raw bytes.  Parsers re-encode what they read
and require the same bytes, so an object has exactly one valid serialization and the
same content always gets the same id.  Byte layouts: docs/FORMAT.md.
"""
from __future__ import annotations

import json
from collections import namedtuple

from .errors import BadInput, CorruptObject, InvalidPath, WrongObjectType
from .ids import ID_LEN
from .objtype import ObjType
from .record import Record

TYPE_CHECKING = False   # typing.TYPE_CHECKING without importing typing (start-up);
                        # type checkers read this name as True
if TYPE_CHECKING:
    from .odb import ObjectDatabase

FORMAT_VERSION = 1

# Git's octal modes, so `ls-tree`-like output looks familiar.
MODE_FILE = 0o100644
MODE_EXEC = 0o100755
MODE_SYMLINK = 0o120000
MODE_DIR = 0o040000
MODES = (MODE_FILE, MODE_EXEC, MODE_SYMLINK, MODE_DIR)

_U64 = 1 << 64
_SMALL = [bytes((i,)) for i in range(0x80)]


def uvarint(n: int) -> bytes:
    """``n`` as a canonical LEB128 varint (the ``u`` field)."""
    if 0 <= n < 0x80:
        return _SMALL[n]
    e = Encoder(version=None)
    e.u(n)
    return bytes(e.buf)


def read_uvarint(data: bytes, pos: int) -> tuple[int, int]:
    """Parse a ``u`` field at ``pos``; return (value, next position)."""
    try:
        b = data[pos]
    except IndexError:
        raise CorruptObject("object is truncated") from None
    if b < 0x80:
        return b, pos + 1
    n = shift = 0
    while True:
        if pos >= len(data) or shift > 63:
            raise CorruptObject("truncated or oversized integer in object")
        b = data[pos]
        pos += 1
        n |= (b & 0x7F) << shift
        if b < 0x80:
            break
        shift += 7
    if b == 0 or n >= _U64:
        raise CorruptObject("non-canonical integer in object")
    return n, pos


class Encoder:
    """Appends canonical primitives to a bytearray."""

    __slots__ = ("buf",)

    def __init__(self, version: int | None = FORMAT_VERSION):
        self.buf = bytearray() if version is None else bytearray((version,))

    def u(self, n: int) -> None:
        if not 0 <= n < _U64:
            raise BadInput(f"integer {n} does not fit in 64 bits")
        while n >= 0x80:
            self.buf.append((n & 0x7F) | 0x80)
            n >>= 7
        self.buf.append(n)

    def s(self, n: int) -> None:
        # zigzag: small negative numbers (time zones) stay short
        self.u((n << 1) ^ (n >> 63) if n < 0 else n << 1)

    def oid(self, oid: bytes) -> None:
        if len(oid) != ID_LEN:
            raise BadInput(f"object id has {len(oid)} bytes, not {ID_LEN}")
        self.buf += oid

    def bytes_(self, b: bytes) -> None:
        self.u(len(b))
        self.buf += b

    def str_(self, s: str) -> None:
        try:
            self.bytes_(s.encode("utf-8"))
        except UnicodeEncodeError:
            raise BadInput(f"text {s!r} is not valid UTF-8",
                           hint="remove lone surrogates from names and messages") from None

    def done(self) -> bytes:
        return bytes(self.buf)


class Decoder:
    """Reads canonical primitives; any malformation raises CorruptObject."""

    __slots__ = ("data", "pos", "version")

    def __init__(self, data, what: str = "object"):
        self.data = memoryview(data).cast("B") if not isinstance(data, bytes) else data
        self.pos = 0
        if not len(self.data):
            raise CorruptObject(f"{what} is empty")
        self.version = self.data[0]
        if self.version != FORMAT_VERSION:
            raise CorruptObject(f"{what} has format version {self.version}",
                                hint="this ldv reads version 1; upgrade ldv")
        self.pos = 1

    def u(self) -> int:
        n, self.pos = read_uvarint(self.data, self.pos)
        return n

    def s(self) -> int:
        n = self.u()
        return (n >> 1) ^ -(n & 1)

    def raw(self, n: int) -> bytes:
        end = self.pos + n
        if end > len(self.data):
            raise CorruptObject("object is truncated")
        out = bytes(self.data[self.pos:end])
        self.pos = end
        return out

    def oid(self) -> bytes:
        return self.raw(ID_LEN)

    def bytes_(self) -> bytes:
        return self.raw(self.u())

    def str_(self) -> str:
        try:
            return self.bytes_().decode("utf-8")
        except UnicodeDecodeError:
            raise CorruptObject("invalid UTF-8 in object") from None

    def at_end(self) -> bool:
        return self.pos == len(self.data)

    def end(self) -> None:
        if not self.at_end():
            raise CorruptObject("trailing bytes after object")


def check_name(name: str) -> str:
    """Validate one path component of a tree entry."""
    if not name or name in (".", "..") or "/" in name or "\0" in name:
        raise InvalidPath(f"invalid file name {name!r} in a tree",
                          hint="names are non-empty, without '/' or NUL, not . or ..")
    return name


class TreeEntry(namedtuple("TreeEntry", "name mode oid size")):
    """One directory entry (immutable).  ``size`` is the file's byte count (for a
    directory: the total of the files below it; for a symlink: the target's length)."""

    __slots__ = ()

    @property
    def is_dir(self) -> bool:
        return self.mode == MODE_DIR

    def sort_key(self) -> bytes:
        """Git's order: a directory sorts as if its name ended with '/'."""
        key = self.name.encode("utf-8", "surrogatepass")
        return key + b"/" if self.mode == MODE_DIR else key


class Commit(Record):
    __slots__ = ("tree", "parents", "author", "author_time", "author_tz", "committer",
                 "commit_time", "commit_tz", "message", "lineage")

    def __init__(self, tree: bytes, parents: list[bytes], author: str, author_time: int,
                 author_tz: int, committer: str, commit_time: int, commit_tz: int,
                 message: str, lineage: list[dict] | None = None):
        self.tree = tree
        self.parents = parents
        self.author = author
        self.author_time = author_time
        self.author_tz = author_tz          # minutes east of UTC
        self.committer = committer
        self.commit_time = commit_time
        self.commit_tz = commit_tz
        self.message = message
        self.lineage = [] if lineage is None else lineage

    def serialize(self) -> bytes:
        e = Encoder()
        e.oid(self.tree)
        e.u(len(self.parents))
        for p in self.parents:
            e.oid(p)
        for who, when, tz in ((self.author, self.author_time, self.author_tz),
                              (self.committer, self.commit_time, self.commit_tz)):
            e.str_(who)
            e.s(when)
            e.s(tz)
        e.str_(self.message)
        e.str_(_canonical_json(self.lineage))
        return e.done()

    @classmethod
    def parse(cls, data) -> "Commit":
        d = Decoder(data, "commit")
        tree = d.oid()
        parents = [d.oid() for _ in range(d.u())]
        author, at, atz = d.str_(), d.s(), d.s()
        committer, ct, ctz = d.str_(), d.s(), d.s()
        message = d.str_()
        lineage = _parse_json_list(d.str_())
        d.end()
        c = cls(tree, parents, author, at, atz, committer, ct, ctz, message, lineage)
        _require_canonical(c, data, "commit")
        return c


class Tag(Record):
    __slots__ = ("target", "target_type", "name", "tagger", "time", "tz", "message")

    def __init__(self, target: bytes, target_type: ObjType, name: str, tagger: str,
                 time: int, tz: int, message: str):
        self.target = target
        self.target_type = target_type
        self.name = name
        self.tagger = tagger
        self.time = time
        self.tz = tz
        self.message = message

    def serialize(self) -> bytes:
        e = Encoder()
        e.oid(self.target)
        e.u(int(self.target_type))
        e.str_(self.name)
        e.str_(self.tagger)
        e.s(self.time)
        e.s(self.tz)
        e.str_(self.message)
        return e.done()

    @classmethod
    def parse(cls, data) -> "Tag":
        d = Decoder(data, "tag")
        target = d.oid()
        try:
            ttype = ObjType(d.u())
        except ValueError:
            raise CorruptObject("tag names an unknown object type") from None
        t = cls(target, ttype, d.str_(), d.str_(), d.s(), d.s(), d.str_())
        d.end()
        _require_canonical(t, data, "tag")
        return t


def _canonical_json(value) -> str:
    try:
        return json.dumps(value, sort_keys=True, separators=(",", ":"),
                          ensure_ascii=False, allow_nan=False)
    except (TypeError, ValueError) as exc:
        raise BadInput(f"lineage record is not plain JSON: {exc}",
                       hint="use dicts, lists, strings, ints, finite floats, bools, None") from None


def _parse_json_list(text: str) -> list:
    try:
        value = json.loads(text)
    except ValueError:
        raise CorruptObject("commit lineage is not valid JSON") from None
    if not isinstance(value, list):
        raise CorruptObject("commit lineage is not a list")
    return value


def _require_canonical(obj, data, what: str) -> None:
    try:
        again = obj.serialize()
    except BadInput:
        again = None
    if again != bytes(data):
        raise CorruptObject(f"{what} is not in canonical form")


def read_object(odb: ObjectDatabase, oid: bytes, *expected: ObjType) -> tuple[ObjType, bytes]:
    """Fetch ``oid`` and check that its type is one of ``expected``."""
    type_code, data = odb.get(oid)
    if type_code not in expected:
        names = " or ".join(t.name.lower() for t in expected)
        raise WrongObjectType(f"object {oid.hex()} is a {ObjType(type_code).name.lower()}, "
                              f"not a {names}",
                              hint="check the revision or path you gave")
    return ObjType(type_code), data


def _parse(cls, oid: bytes, data):
    try:
        return cls.parse(data)
    except CorruptObject as exc:
        raise CorruptObject(f"{cls.__name__.lower()} {oid.hex()}: {exc.message}",
                            hint=exc.hint or "run `ldv fsck`") from None


def write_commit(odb: ObjectDatabase, c: Commit) -> bytes:
    return odb.put(ObjType.COMMIT, c.serialize())


def read_commit(odb: ObjectDatabase, oid: bytes) -> Commit:
    _, data = read_object(odb, oid, ObjType.COMMIT)
    return _parse(Commit, oid, data)


def write_tag(odb: ObjectDatabase, t: Tag) -> bytes:
    return odb.put(ObjType.TAG, t.serialize())


def read_tag(odb: ObjectDatabase, oid: bytes) -> Tag:
    _, data = read_object(odb, oid, ObjType.TAG)
    return _parse(Tag, oid, data)
