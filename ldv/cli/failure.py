"""Errors as users see them: one line on stderr and an exit code (docs/EXIT_CODES.md).

No click here: the fast path (fast.py) maps errors without loading it, and the
click entry point (main.run_mapped) adds only click's own exceptions on top.
"""
from __future__ import annotations

import os
import sys

EXIT_INTERNAL = 70   # a bug in ldv (BSD's EX_SOFTWARE)
EXIT_INTERRUPTED = 130


def mapped(call) -> int:
    """Call ``call`` and translate its outcome into an exit code."""
    from ldv.plumbing.errors import LdvError
    try:
        rv = call()
        return rv if isinstance(rv, int) else 0
    except LdvError as e:
        error(e.message, e.hint)
        return e.exit_code
    except KeyboardInterrupt:
        error("interrupted", None)
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        # `ldv log | head`: the reader left; not an error worth a message.
        silence_stdout()
        return 0
    except OSError as e:
        error(os_message(e), os_hint(e))
        return 3
    except Exception as e:  # noqa: BLE001 - last line of defence against tracebacks
        if os.environ.get("LDV_DEBUG"):
            raise
        error(f"internal error: {type(e).__name__}: {e}",
              "this is a bug in ldv; rerun with LDV_DEBUG=1 for a traceback and report it")
        return EXIT_INTERNAL


def error(message: str, hint: str | None) -> None:
    line = f"error: {message}"
    if hint:
        line += f" (hint: {hint})"
    sys.stderr.write(line.replace("\n", " ") + "\n")
    sys.stderr.flush()


def os_message(e: OSError) -> str:
    what = e.strerror or str(e)
    return f"{what}: {e.filename}" if e.filename else what


def os_hint(e: OSError) -> str | None:
    import errno
    return {
        errno.ENOSPC: "free some disk space and retry; nothing committed was lost",
        errno.EACCES: "check the file permissions",
        errno.EROFS: "the file system is read-only",
    }.get(e.errno)


def silence_stdout() -> None:
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):
        pass
