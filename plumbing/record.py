"""Record: a plain data class that does not import `dataclasses`.

``dataclasses`` imports ``inspect`` (and with it ``ast``, ``dis``, ``tokenize``):
~10 ms of start-up, more than `ldv status` spends on most trees.  The classes that
every command loads (keys, objects, status) derive from Record instead: each lists
its fields in ``__slots__`` and writes its own ``__init__``; equality and ``repr``
follow the fields in that order.  Immutable records are ``collections.namedtuple``
subclasses instead.
"""
from __future__ import annotations


class Record:
    __slots__ = ()
    __hash__ = None                  # mutable, like a dataclass with eq=True

    def _values(self) -> tuple:
        return tuple(getattr(self, name) for name in self.__slots__)

    def __eq__(self, other) -> bool:
        if type(other) is not type(self):
            return NotImplemented
        return self._values() == other._values()

    def __repr__(self) -> str:
        fields = ", ".join(f"{name}={getattr(self, name)!r}" for name in self.__slots__)
        return f"{type(self).__name__}({fields})"
