"""The `ldv` console script: the fast path first (fast.py), else click (main.py)."""
from __future__ import annotations

import sys


def main() -> None:
    from .fast import run
    code = run(sys.argv[1:])
    if code is None:
        from .main import main as click_main
        click_main()
        return
    sys.exit(code)
