"""The `ldv` console script: the fast path first (fast.py), else click (main.py)."""
from __future__ import annotations

import os
import sys


def main() -> None:
    from .fast import run
    code = run(sys.argv[1:])
    if code is None:
        from .main import main as click_main
        click_main()
        return
    # The fast path has answered and closed the repository.  Python's teardown
    # (freeing every module, the crypto bindings' included) would cost ~7 ms more
    # than `status` itself on a small tree, and nothing is left to clean up: flush
    # what was written and leave.
    try:
        sys.stdout.flush()      # fast.run flushed stdout inside its error mapping
        sys.stderr.flush()      # (a closed pipe is handled there): a safety net
    except OSError:
        pass
    os._exit(code)
