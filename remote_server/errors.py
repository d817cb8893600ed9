"""Server-side errors and their HTTP form: a status and a stable, documented code.

Every error leaves the server as JSON ``{"error": {"code", "message", "hint"}}``.
Plumbing errors raised by the store (ref conflicts, bad input) map to codes here,
so the views never build error responses by hand.
"""
from __future__ import annotations

from ldv.plumbing.errors import (BadInput, CorruptPack, IntegrityError, InvalidRefName,
                                 LdvError, MissingPack, NonFastForward, RefConflict)


class ServerError(LdvError):
    """An error with an HTTP status and a stable code (see docs/PROTOCOL.md)."""

    status = 500
    code = "internal"

    def __init__(self, message: str, *, code: str | None = None, hint: str | None = None):
        super().__init__(message, hint=hint)
        if code:
            self.code = code


class ValidationFailed(ServerError):
    status, code = 400, "bad_request"


class Unauthorized(ServerError):
    status, code = 401, "unauthorized"


class Forbidden(ServerError):
    status, code = 403, "forbidden"


class NotFound(ServerError):
    status, code = 404, "not_found"


class TooLarge(ServerError):
    status, code = 413, "too_large"


class RateLimited(ServerError):
    status, code = 429, "rate_limited"


# Plumbing errors the store raises, in match order (subclasses first).
_MAP: list[tuple[type, int, str]] = [
    (NonFastForward, 409, "non_fast_forward"),
    (RefConflict, 409, "ref_conflict"),
    (InvalidRefName, 400, "invalid_ref_name"),
    (BadInput, 400, "bad_request"),
    (MissingPack, 404, "missing_pack"),
    (CorruptPack, 422, "corrupt_pack"),
    (IntegrityError, 422, "integrity"),
]


def to_http(err: LdvError) -> tuple[int, dict]:
    """The (status, JSON body) an error is sent as."""
    if isinstance(err, ServerError):
        status, code = err.status, err.code
    else:
        status, code = next(((s, c) for t, s, c in _MAP if isinstance(err, t)),
                            (500, "internal"))
    body = {"error": {"code": code, "message": err.message, "hint": err.hint or ""}}
    return status, body
