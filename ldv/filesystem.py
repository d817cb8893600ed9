"""The ``ldv`` fsspec protocol, registered through the ``fsspec.specs`` entry point.

    import pandas as pd
    pd.read_parquet("ldv://main/data/train.parquet")    # the repository around the cwd
    fs = fsspec.filesystem("ldv", repo_path="~/datasets/chat", key="…64 hex…")

The key comes from ``key``, else LDV_MASTER_KEY / LDV_PASSPHRASE / the key file,
exactly as for the CLI.  The filesystem itself is porcelain/revfs.py; this class
only finds and opens the repository (which needs the environment, so it lives here).
"""
from __future__ import annotations

from ldv.porcelain.revfs import RevisionFileSystem


class LdvFileSystem(RevisionFileSystem):
    """``ldv://REV/PATH`` for the repository at ``repo_path`` (default: the cwd)."""

    def __init__(self, repo=None, *, repo_path=".", key=None, **kwargs):
        self._api = None
        if repo is None:
            from .api import Repository
            self._api = Repository.open(repo_path, key=key)
            repo = self._api.plumbing
        super().__init__(repo, **kwargs)

    def close(self) -> None:
        if self._api is not None:
            self._api.close()
            self._api = None
