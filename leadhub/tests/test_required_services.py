"""CI's run with its services (`LEADHUB_REQUIRE_SERVICES=1`) fails on any skip; a newcomer's run
without them keeps skips as skips. Checked on a planted skip in a pytest run of its own."""
import os
import subprocess
import sys
from pathlib import Path


ROOT = Path(__file__).resolve().parents[2]

PLANTED = '''
import pytest

pytestmark = pytest.mark.filterwarnings("ignore")


def test_runs():
    assert True


def test_needs_a_tool():
    pytest.skip("needs a tool this machine lacks")


@pytest.mark.skipif(True, reason="needs a service")
def test_needs_a_service():
    pass


@pytest.mark.xfail(reason="a known defect", strict=True)
def test_known_defect():
    assert False
'''

PLANTED_MODULE_SKIP = '''
import pytest

pytest.skip("needs a module this machine lacks", allow_module_level=True)
'''


def run_planted(tmp_path, source, *, required):
    (tmp_path / "test_planted.py").write_text(source)
    env = {**os.environ, "PYTHONPATH": str(ROOT), "DJANGO_SETTINGS_MODULE": "leadhub.settings"}
    env.pop("LEADHUB_REQUIRE_SERVICES", None)
    if required:
        env["LEADHUB_REQUIRE_SERVICES"] = "1"
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "leadhub.testing.required", "-p", "no:cacheprovider",
         "-p", "no:django", "-p", "no:xdist", "-q", "-rA", str(tmp_path)],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120,
    )


def test_skips_stay_skips_where_services_are_not_required(tmp_path):
    done = run_planted(tmp_path, PLANTED, required=False)
    assert done.returncode == 0, done.stdout
    assert done.stdout.strip().splitlines()[-1].startswith("1 passed, 2 skipped, 1 xfailed"), done.stdout


def test_a_planted_skip_fails_the_run_where_services_are_required(tmp_path):
    done = run_planted(tmp_path, PLANTED, required=True)
    assert done.returncode == 1, done.stdout
    assert done.stdout.strip().splitlines()[-1].startswith("1 failed, 1 passed, 1 xfailed, 1 error"), done.stdout
    assert "needs a tool this machine lacks" in done.stdout and "needs a service" in done.stdout
    assert "LEADHUB_REQUIRE_SERVICES=1: nothing may skip here" in done.stdout


def test_a_planted_module_skip_fails_the_run_where_services_are_required(tmp_path):
    assert "1 skipped" in run_planted(tmp_path, PLANTED_MODULE_SKIP, required=False).stdout
    done = run_planted(tmp_path, PLANTED_MODULE_SKIP, required=True)
    assert done.returncode != 0, done.stdout
    assert "needs a module this machine lacks" in done.stdout
    assert "LEADHUB_REQUIRE_SERVICES=1: nothing may skip here" in done.stdout
