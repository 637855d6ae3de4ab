"""Under `LEADHUB_REQUIRE_SERVICES=1` (CI's run with PostgreSQL, Redis and Chromium) nothing may
skip: a skipped test or module is reported as a failure naming the skip's reason, so a service,
binary or tool that CI lost shows up red instead of as a quiet "s". Without the variable (a
newcomer's `make test`, CI's run in the embedded SQLite mode) skips stay skips, each with its reason.

Loaded by the root conftest.py; kept here so a pytester run can load it alone (`-p`)."""
import os

import pytest

VARIABLE = "LEADHUB_REQUIRE_SERVICES"


def services_required() -> bool:
    return os.environ.get(VARIABLE) == "1"


def _skip_reason(report) -> str:
    if isinstance(report.longrepr, tuple):  # (path, line, "Skipped: reason")
        return report.longrepr[2]
    return str(report.longrepr)


def _fail_skip(report):
    if services_required() and report.skipped and not hasattr(report, "wasxfail"):
        report.outcome = "failed"
        report.longrepr = f"{_skip_reason(report)}\n{VARIABLE}=1: nothing may skip here; install what it needs in .ci/run"
    return report


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    return _fail_skip((yield))


@pytest.hookimpl(wrapper=True)
def pytest_make_collect_report(collector):
    return _fail_skip((yield))
