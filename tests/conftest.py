"""Suite-wide fixtures and the rule that CI never skips."""
from __future__ import annotations

import os

import pytest

_skipped: list[str] = []


def pytest_runtest_logreport(report):
    if report.skipped and not hasattr(report, "wasxfail"):
        _skipped.append(report.nodeid)


def pytest_sessionfinish(session, exitstatus):
    # A skipped test is a defect; in CI it fails the run.
    if os.environ.get("CI") and _skipped and exitstatus == 0:
        session.exitstatus = 1


def pytest_terminal_summary(terminalreporter):
    if os.environ.get("CI") and _skipped:
        terminalreporter.write_line(
            f"CI is set and {len(_skipped)} test(s) were skipped: failing the run",
            red=True)


def require_service(ok: bool, what: str) -> None:
    """Skip locally, fail in CI, when a service a test needs is missing."""
    if ok:
        return
    if os.environ.get("CI"):
        pytest.fail(f"{what} is not available and CI is set")
    pytest.skip(f"{what} is not available")
