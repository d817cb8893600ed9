"""Progress bars for long work: drawn on stderr, only when it is a terminal.

Porcelain never prints; it calls ``progress(label, done, total)``.  This module
is the callback the CLI hands it.  Redraws are throttled so that a callback per
chunk costs next to nothing.
"""
from __future__ import annotations

import sys
import time


class _Null:
    def __call__(self, label: str, done: int, total: int | None) -> None:
        pass

    def __bool__(self) -> bool:   # "no progress to draw": callers may skip the work
        return False

    def close(self) -> None:
        pass


class TerminalProgress:
    """Renders ``label  done/total  pct%`` on one stderr line, ~10 times a second."""

    interval = 0.1

    def __init__(self, stream=None):
        self.stream = stream or sys.stderr
        self._label = None
        self._last = 0.0
        self._width = 0

    def __call__(self, label: str, done: int, total: int | None) -> None:
        now = time.monotonic()
        finished = total is not None and done >= total
        if label != self._label:
            self._finish_line()
            self._label = label
        elif not finished and now - self._last < self.interval:
            return
        self._last = now
        self._draw(label, done, total)
        if finished:
            self._finish_line()

    def _draw(self, label, done, total):
        if total:
            text = f"{label}: {100 * done // total:3d}% ({_fmt(done)}/{_fmt(total)})"
        else:
            text = f"{label}: {_fmt(done)}"
        pad = max(0, self._width - len(text))
        self.stream.write("\r" + text + " " * pad)
        self.stream.flush()
        self._width = len(text)

    def _finish_line(self):
        if self._width:
            self.stream.write("\n")
            self.stream.flush()
        self._width = 0
        self._label = None

    def close(self) -> None:
        self._finish_line()


def _fmt(n: int) -> str:
    return f"{n:,}"


def make_progress(quiet: bool = False, stream=None):
    """The callback for this process: a bar on a TTY stderr unless quiet, else a no-op."""
    stream = stream or sys.stderr
    if quiet or not getattr(stream, "isatty", lambda: False)():
        return _Null()
    return TerminalProgress(stream)
