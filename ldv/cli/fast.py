"""Commands answered without click: `ldv status` in its common forms.

`status` is the command people and prompts run all the time, and importing click
costs more than `git status` spends on a 50,000-file tree.  When the arguments are
exactly `status` with any of -s/--short, --porcelain, -b/--branch (each once, no
global options), this module answers with the same code the click command runs
(status_text.render) and the same error mapping (failure.mapped); anything else
-- help, combined flags, -C, -q, other commands -- goes to click (main.py).
tests/cli/test_fast.py runs both paths on the same repositories.
"""
from __future__ import annotations

import os
import sys

_STATUS_FLAGS = {"-s": "short", "--short": "short", "--porcelain": "porcelain",
                 "-b": "show_branch", "--branch": "show_branch"}


def run(argv: list[str]) -> int | None:
    """The exit code, or None when click must handle these arguments."""
    if not argv or argv[0] != "status":
        return None
    opts: dict[str, bool] = {}
    for arg in argv[1:]:
        name = _STATUS_FLAGS.get(arg)
        if name is None or name in opts:
            return None
        opts[name] = True
    from .failure import mapped
    return mapped(lambda: _status(opts))


def _out(text: str = "") -> None:
    sys.stdout.write(text + "\n")


def _status(opts: dict[str, bool]) -> int:
    from ldv.api import Repository
    from ldv.progress import make_progress

    from .status_text import render
    progress = make_progress(quiet=False)
    repo = None
    try:
        repo = Repository.open(os.getcwd(), progress=progress)
        render(repo.status(), _out, **opts)
        sys.stdout.flush()            # a closed pipe shows here, inside the mapping
    finally:
        progress.close()
        if repo is not None:
            repo.close()
    return 0
