"""`make prod-check` itself: the production stack starts, takes a signed lead and forwards it.

Slow-ish (≈15 s: a fresh database is migrated and three processes started), so it runs only
where the whole production stack is at hand: PostgreSQL (admin access to create a database) and
Redis.
"""
import os
import subprocess
import sys

import pytest
from django.conf import settings
from django.db import connection

from leadhub.testing.procs import database_url

pytestmark = [
    pytest.mark.postgres_only,
    pytest.mark.skipif(not os.environ.get("REDIS_URL"), reason="needs Redis: set REDIS_URL (CI always does)"),
]


def test_prod_check_passes():
    params = {**connection.settings_dict, "NAME": "postgres"}
    done = subprocess.run(
        [sys.executable, "scripts/prod_check.py"],
        cwd=settings.BASE_DIR,
        env={**os.environ, "PG_ADMIN_URL": database_url(params), "STACK_REDIS_URL": os.environ["REDIS_URL"]},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "forwarded lead reached the receiver" in done.stdout
    assert "prod-check passed" in done.stdout
