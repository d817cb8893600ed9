"""Scanning the blocks of one big file on several cores.

Glossary
  worker   a process forked from this one once the engine is built, so it
           inherits the scanner (presidio, the hyperscan databases) instead of
           spending seconds building its own; it scans one block at a time
  block    a few MiB of whole lines (formats.blocks); its findings carry line
           numbers already, so the parent only concatenates them in block order

Why processes: hyperscan releases the GIL while it scans, but presidio's
validators (phonenumbers, Python regexes) on the candidate lines hold it, and at
a few percent of records with PII they are most of the work.  A file of one
block is scanned here, in this process: forking costs more than it saves.
"""
from __future__ import annotations

import multiprocessing
import os
from collections import deque

from ldv.plumbing.errors import LdvError

from .scanner import Finding, Scanner

_forked: Scanner | None = None      # the scanner a worker inherited


def default_jobs() -> int:
    """The cores this process may run on (at most 4: the parent reads and decodes
    the blob while the workers scan)."""
    try:
        n = len(os.sched_getaffinity(0))
    except AttributeError:          # not on Linux
        n = os.cpu_count() or 1
    return max(1, min(n, 4))


class ScanFailed(LdvError):
    """The detector raised on a block.  Its message is withheld: presidio's (or a
    validator's) errors may quote the text they were looking at."""

    exit_code = 70


def _withheld(e: BaseException, path: str) -> ScanFailed:
    return ScanFailed(f"scanning {path!r} failed inside the detector "
                      f"({type(e).__name__}; its message is withheld: it may quote the data)",
                      hint="this is a bug in ldv or presidio; rerun with LDV_DEBUG=1 "
                           "to see it, and report it without the data")


def block_findings(scanner: Scanner, first: int, block: bytes, path: str,
                   jsonl: bool) -> list[Finding]:
    """formats.block_findings, with any unexpected error's text withheld."""
    from .formats import block_findings as findings
    try:
        return findings(scanner, first, block, path, jsonl)
    except LdvError:
        raise
    except Exception as e:
        if os.environ.get("LDV_DEBUG"):
            raise
        failed = _withheld(e, path)
    raise failed        # outside the handler: not even __context__ keeps the text


def scan_blocks(scanner: Scanner, blocks, path: str, jsonl: bool) -> list[Finding]:
    """Findings in (first line, block) pairs, in order, on ``scanner.options.jobs``
    workers when there is more than one block and fork is available."""
    blocks = iter(blocks)
    head = next(blocks, None)
    if head is None:
        return []
    second = next(blocks, None)
    jobs = scanner.options.jobs or default_jobs()
    if second is None or jobs < 2 or "fork" not in multiprocessing.get_all_start_methods():
        out = block_findings(scanner, *head, path, jsonl)
        for item in ([second] if second else []):
            out.extend(block_findings(scanner, *item, path, jsonl))
        for item in blocks:
            out.extend(block_findings(scanner, *item, path, jsonl))
        return out
    return _parallel(scanner, _chain(head, second, blocks), path, jsonl, jobs)


def _chain(head, second, rest):
    yield head
    yield second
    yield from rest


def _parallel(scanner: Scanner, blocks, path: str, jsonl: bool, jobs: int) -> list[Finding]:
    from concurrent.futures import ProcessPoolExecutor
    global _forked
    if jsonl:
        scanner.prepare(jsonl=True)             # compiled once, here, not per worker
    _forked = scanner
    # Workers share the parent's heap copy-on-write; the cyclic GC walking every
    # object there (presidio, spaCy) would copy each page it touches.
    import gc
    gc.freeze()
    out: list[Finding] = []
    pending: deque = deque()
    failed: ScanFailed | None = None
    try:
        # Forked at the first submit (fork start method: all workers at once),
        # while _forked is this scanner.
        with ProcessPoolExecutor(jobs, mp_context=multiprocessing.get_context("fork")) as pool:
            try:
                for first, block in blocks:
                    # At most two blocks per worker in flight: memory stays bounded.
                    while len(pending) >= 2 * jobs:
                        out.extend(pending.popleft().result())
                    pending.append(pool.submit(_work, first, block, path, jsonl))
                while pending:
                    out.extend(pending.popleft().result())
            except LdvError:
                raise
            except Exception as e:       # from a worker, with its remote traceback
                if os.environ.get("LDV_DEBUG"):
                    raise
                failed = _withheld(e, path)
            finally:
                for fut in pending:
                    fut.cancel()
            if failed is not None:
                raise failed        # outside the handler: no __context__ with the text
    finally:
        _forked = None
        gc.unfreeze()
    return out


def _work(first: int, block: bytes, path: str, jsonl: bool) -> list[Finding]:
    from .formats import block_findings as findings
    return findings(_forked, first, block, path, jsonl)
