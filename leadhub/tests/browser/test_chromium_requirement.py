"""A machine without Chromium skips the browser tests with a reason (CI, which requires its
services, turns that skip into a failure: leadhub/tests/test_required_services.py)."""
import pytest

from leadhub.tests.browser.conftest import require_chromium


def test_a_missing_chromium_skips_naming_what_to_install():
    with pytest.raises(pytest.skip.Exception, match="needs Chromium at /nonexistent/chromium: apt-get install chromium"):
        require_chromium("/nonexistent/chromium")


def test_a_present_chromium_neither_skips_nor_fails(tmp_path):
    binary = tmp_path / "chromium"
    binary.write_text("")
    require_chromium(str(binary))
