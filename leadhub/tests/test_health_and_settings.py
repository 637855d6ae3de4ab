"""/healthz and the environment-driven settings modes, each checked in a real subprocess."""
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings

ROOT = Path(__file__).resolve().parents[2]


def run_django(code, **env):
    full_env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL", "DJANGO_ENV"}}
    full_env.update(env)
    return subprocess.run(
        [sys.executable, "-c", "import django; django.setup()\n" + code],
        cwd=ROOT, env={**full_env, "DJANGO_SETTINGS_MODULE": "leadhub.settings"},
        capture_output=True, text=True, timeout=60,
    )


@pytest.mark.django_db
def test_healthz_reports_database_and_redis(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    body = response.json()
    assert body["database"] == "ok"
    assert body["redis"] == ("ok" if settings.REDIS_URL else "disabled")


def test_healthz_is_503_when_the_database_is_unreachable():
    code = (
        "import json; from django.test import Client\n"
        "r = Client().get('/healthz')\n"
        "print(json.dumps({'status': r.status_code, 'body': r.json()}))\n"
    )
    result = run_django(code, DATABASE_URL="postgres://postgres@127.0.0.1:1/nowhere")
    assert result.returncode == 0, result.stderr
    outcome = json.loads(result.stdout.strip().splitlines()[-1])
    assert outcome["status"] == 503
    assert outcome["body"]["database"].startswith("error")
    assert outcome["body"]["redis"] == "disabled"


def test_embedded_mode_uses_sqlite_eager_celery_and_local_memory_cache():
    code = (
        "import json; from django.conf import settings as s\n"
        "print(json.dumps([s.DATABASES['default']['ENGINE'], s.CELERY_TASK_ALWAYS_EAGER, "
        "s.CACHES['default']['BACKEND'], s.TIME_ZONE]))\n"
    )
    result = run_django(code)
    assert json.loads(result.stdout.strip()) == [
        "django.db.backends.sqlite3", True, "django.core.cache.backends.locmem.LocMemCache", "UTC",
    ]


def test_redis_mode_uses_django_redis_fail_open_and_real_broker():
    code = (
        "import json; from django.conf import settings as s\n"
        "c = s.CACHES['default']\n"
        "print(json.dumps([c['BACKEND'], c['OPTIONS']['IGNORE_EXCEPTIONS'], s.RATELIMIT_FAIL_OPEN, "
        "s.CELERY_TASK_ALWAYS_EAGER, s.CELERY_BROKER_URL, 'django_ratelimit.E003' in s.SILENCED_SYSTEM_CHECKS]))\n"
    )
    result = run_django(code, REDIS_URL="redis://127.0.0.1:6379/9")
    assert json.loads(result.stdout.strip()) == [
        "django_redis.cache.RedisCache", True, True, False, "redis://127.0.0.1:6379/9", False,
    ]


@pytest.mark.slow
def test_production_mode_passes_check_deploy_without_warnings():
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL"}}
    env.update(
        DJANGO_ENV="production",
        SECRET_KEY="x7Qp2v9LmZ3rT8wK1yB6nC4hF0jD5sGaE!uR$eW@oI#pN%qM&vX*zY(tA)bU",
        ALLOWED_HOSTS="leads.example.com",
        REDIS_URL="redis://127.0.0.1:6379/9",
    )
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=60,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_production_mode_refuses_to_start_without_a_secret_key():
    env = {k: v for k, v in os.environ.items() if k not in {"SECRET_KEY"}}
    env.update(DJANGO_ENV="production", ALLOWED_HOSTS="leads.example.com")
    result = subprocess.run(
        [sys.executable, "manage.py", "check"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr
