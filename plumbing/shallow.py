"""The shallow boundary of a ``clone --depth N`` (Git's ``.git/shallow``).

A shallow commit's parents were deliberately not fetched: walks that need
whole histories (fsck, gc, revparse) stop there instead of reporting the
absent parents as corruption.  The list is sealed like every file in ``.ldv/``.
"""
from __future__ import annotations

SECRET_NAME = "shallow"


def read_shallow(repo) -> set[bytes]:
    """The commits whose parents this clone does not have (empty: a full clone)."""
    raw = repo.read_secret(SECRET_NAME)
    if not raw:
        return set()
    return {bytes.fromhex(line) for line in raw.decode().split()}


def write_shallow(repo, commits: set[bytes]) -> None:
    """Replace the boundary (atomically); an empty set removes the file."""
    if not commits:
        repo.delete_secret(SECRET_NAME)
        return
    repo.write_secret(SECRET_NAME, "".join(f"{c.hex()}\n" for c in sorted(commits)).encode())


def boundary(parents: dict[bytes, list[bytes]], fetched: set[bytes],
             present_before: set[bytes]) -> set[bytes]:
    """The boundary after a fetch.

    ``parents`` maps the old boundary commits and the fetched commits to their
    parents; ``present_before`` holds the commits this clone had before the
    fetch.  A commit is shallow while one of its parents was neither fetched
    now nor held before.
    """
    return {c for c, ps in parents.items()
            if any(p not in fetched and p not in present_before for p in ps)}
