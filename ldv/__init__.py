"""ldv: a vault for LLM and ML datasets that versions data the way Git versions code.

The public Python API::

    import ldv
    repo = ldv.Repository.open(".")
    repo.commit("message")

Imports are lazy so that ``ldv status`` starts fast.
"""
from __future__ import annotations

__version__ = "0.1.0"
__all__ = ["Repository", "Identity", "LdvError", "__version__"]


def __getattr__(name: str):
    if name == "Repository":
        from .api import Repository
        return Repository
    if name == "Identity":
        from .porcelain.worktree import Identity
        return Identity
    if name == "LdvError":
        from .plumbing.errors import LdvError
        return LdvError
    raise AttributeError(f"module 'ldv' has no attribute {name!r}")
