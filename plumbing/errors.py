"""One error hierarchy for all of ldv.

Every layer raises these; only ldv/ turns them into a one-line message and an exit
code.  Each error's message says what happened; ``hint`` says what to do.

Exit codes (documented in docs/EXIT_CODES.md):
  0  success
  1  differences (--exit-code), merge conflicts, tripped gates, rejected pushes
  2  usage errors and bad input
  3  repository errors (not a repository, locked, unknown revision state)
  4  integrity errors (corrupt or missing data)
  5  key and authentication errors
  6  network and remote-server errors
"""
from __future__ import annotations


class LdvError(Exception):
    """Base of every error ldv raises on purpose."""

    exit_code = 3

    def __init__(self, message: str, *, hint: str | None = None):
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        if self.hint:
            return f"{self.message} ({self.hint})"
        return self.message


# -- 1: a result the caller asked to be told about -----------------------------

class Conflict(LdvError):
    """Merge conflicts, tripped gates and the like."""

    exit_code = 1


class NonFastForward(Conflict):
    """A ref update that would lose commits."""


class MergeConflict(Conflict):
    """A merge, cherry-pick or revert stopped with unmerged paths (``outcome``)."""

    outcome = None


class GateTripped(Conflict):
    """A diff gate or PII gate refused the change."""


# -- 2: bad input ---------------------------------------------------------------

class BadInput(LdvError):
    exit_code = 2


class UsageError(BadInput):
    pass


class InvalidRefName(BadInput):
    pass


class InvalidPath(BadInput):
    pass


class BadRevision(BadInput):
    """A revision that does not parse or does not resolve."""


class WrongObjectType(BadRevision):
    """An id that names an object of another type than the one asked for."""


class BadFormat(BadInput):
    """An input file that is not what it claims to be (not Parquet, bad JSONL, ...)."""


# -- 3: repository state --------------------------------------------------------

class RepositoryError(LdvError):
    exit_code = 3


class NotARepository(RepositoryError):
    pass


class RepositoryLocked(RepositoryError):
    pass


class RefConflict(RepositoryError):
    """A compare-and-swap on a ref found another value than expected."""


class WouldClobber(RepositoryError):
    """An operation would overwrite uncommitted work."""


# -- 4: integrity ---------------------------------------------------------------

class IntegrityError(LdvError):
    exit_code = 4


class ObjectNotFound(IntegrityError):
    pass


class CorruptObject(IntegrityError):
    """Decryption failed, the id did not match, or the encoding is invalid."""


class CorruptPack(IntegrityError):
    pass


class MissingPack(IntegrityError):
    pass


class CorruptIndex(IntegrityError):
    pass


# -- 5: keys and authentication -------------------------------------------------

class KeyError_(LdvError):
    """Named with a trailing underscore so it never shadows the builtin."""

    exit_code = 5


class WrongKey(KeyError_):
    pass


class MissingKey(KeyError_):
    pass


class AuthError(KeyError_):
    pass


class PermissionDenied(AuthError):
    pass


# -- 6: network and remote ------------------------------------------------------

class NetworkError(LdvError):
    exit_code = 6


class RemoteError(NetworkError):
    """The remote answered with an error; ``code`` is its stable error code."""

    def __init__(self, message: str, *, code: str = "error", status: int = 0,
                 hint: str | None = None):
        super().__init__(message, hint=hint)
        self.code = code
        self.status = status


class RefRollback(IntegrityError):
    """A remote served a ref older than one this client has seen, or one whose
    sealed value does not match its name or target (rolled back or redirected)."""
