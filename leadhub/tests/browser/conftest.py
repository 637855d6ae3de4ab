"""Real headless Chromium (Debian's /usr/bin/chromium, installed by .ci/run) driven by Playwright's
sync API against pytest-django's live server. One browser per module, a fresh context per test,
and a screenshot of every open page under the test's tmp_path when the test fails.

Without Chromium the tests skip with a reason, as the PostgreSQL-only tests do on SQLite, so that
`make test` passes on a machine with nothing but Python; in CI (LEADHUB_REQUIRE_SERVICES=1) a skip
is a failure (`leadhub.testing.required`), so there a missing browser fails every one of them."""
import os
from pathlib import Path

import pytest

# LEADHUB_CHROMIUM points the tests at another build (or, to see the skip, at nothing).
CHROMIUM = os.environ.get("LEADHUB_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    report = yield
    setattr(item, f"report_{report.when}", report)
    return report


def require_chromium(path):
    """Skip, naming what to install, unless a Chromium binary is at `path`."""
    if not Path(path).exists():
        pytest.skip(f"needs Chromium at {path}: apt-get install chromium (.ci/run does)")


@pytest.fixture(scope="module")
def browser():
    require_chromium(CHROMIUM)
    from playwright.sync_api import sync_playwright

    # Playwright's sync API runs an event loop in this thread; the ORM calls the tests make next
    # to it are still plain synchronous code.
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()
    if previous is None:
        os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    else:
        os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@pytest.fixture
def context(browser, request, tmp_path):
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    context.set_default_timeout(15_000)
    yield context
    failed = any(getattr(getattr(request.node, f"report_{when}", None), "failed", False) for when in ("setup", "call"))
    if failed:
        for index, page in enumerate(context.pages):
            path = tmp_path / f"failure-{index}.png"
            page.screenshot(path=str(path), full_page=True)
            print(f"screenshot of {page.url}: {path}")
    context.close()
