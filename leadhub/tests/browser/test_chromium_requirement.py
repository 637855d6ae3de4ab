"""A machine without Chromium skips the browser tests; CI, which requires its services, fails them."""
import pytest

from leadhub.tests.browser.conftest import require_chromium

MISSING = "/nonexistent/chromium"


def test_a_missing_chromium_skips_with_a_reason_outside_ci():
    with pytest.raises(pytest.skip.Exception, match="needs Chromium at /nonexistent/chromium"):
        require_chromium(MISSING, required=False)


def test_a_missing_chromium_fails_when_the_services_are_required():
    with pytest.raises(pytest.fail.Exception, match="LEADHUB_REQUIRE_SERVICES=1"):
        require_chromium(MISSING, required=True)


def test_a_present_chromium_neither_skips_nor_fails(tmp_path):
    binary = tmp_path / "chromium"
    binary.write_text("")
    require_chromium(str(binary), required=True)
