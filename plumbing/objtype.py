"""ObjType: the type byte of every object.

Kept apart from odb.py (the ObjectDatabase protocol, which needs `typing`) so that
`ldv status` can read objects without importing typing.
"""
from __future__ import annotations

import enum


class ObjType(enum.IntEnum):
    """The type byte of every object; part of its id and of its pack entry."""

    CHUNK = 1       # raw file bytes
    BLOB = 2        # a file: size + chunk list (root of a chunk-list tree)
    BLOBNODE = 3    # an inner node of a large blob's chunk-list tree
    TREE = 4        # a directory (root; large directories split into TREENODEs)
    TREENODE = 5    # an inner node of a large directory
    COMMIT = 6
    TAG = 7
    META = 8        # auxiliary encrypted records (e.g. PII findings), keyed by id

    @property
    def is_data(self) -> bool:
        """Chunks go to data packs; everything else to metadata packs."""
        return self is ObjType.CHUNK
