"""Rate limits: counted in the shared cache, so they hold across processes; fail open without it."""
import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from django.conf import settings

from leadhub.api.exceptions import Refusal
from leadhub.testing import unique_id
from providers.models import LeadSourceProvider, WebhookConfig
from providers.ratelimit import rate_limits_hit

ROOT = Path(__file__).resolve().parents[2]

# Unsaved instances: the limits read only ids and numbers, no database.
def limits(*, webhook_limit=100, window=3600, provider_limit=1000):
    return {
        "webhook": WebhookConfig(webhook_id=unique_id("wh"), rate_limit=webhook_limit, rate_window=window),
        "provider": LeadSourceProvider(provider_id=unique_id("prov"), rate_limit=provider_limit),
    }


def test_counts_down_and_refuses_past_the_limit():
    subject = limits(webhook_limit=3)

    remaining = [rate_limits_hit(**subject).remaining for _ in range(3)]
    with pytest.raises(Refusal) as caught:
        rate_limits_hit(**subject)

    assert remaining == [2, 1, 0]
    assert caught.value.status == 429 and caught.value.code == "webhook_rate_limited"
    assert 1 <= int(caught.value.headers["Retry-After"]) <= 3600


def test_each_provider_gets_the_webhooks_rate():
    """Repro: one counter per webhook, so one provider's flood shut the webhook for every other."""
    flooding = limits(webhook_limit=2)
    other = dict(flooding, provider=LeadSourceProvider(provider_id=unique_id("prov"), rate_limit=1000))
    rate_limits_hit(**flooding)
    rate_limits_hit(**flooding)
    with pytest.raises(Refusal) as caught:
        rate_limits_hit(**flooding)

    usage = rate_limits_hit(**other)

    assert caught.value.code == "webhook_rate_limited" and usage.remaining == 1
    assert flooding["provider"].provider_id in caught.value.reason


def test_the_provider_limit_spans_webhooks():
    first, second = limits(provider_limit=2), limits()
    second["provider"] = first["provider"]

    rate_limits_hit(**first)
    rate_limits_hit(**second)
    with pytest.raises(Refusal) as caught:
        rate_limits_hit(**second)

    assert caught.value.code == "provider_rate_limited"


def test_cache_outage_fails_open(settings):
    if not settings.REDIS_URL:
        pytest.skip("needs Redis (REDIS_URL): the embedded local-memory cache cannot be taken down")
    dead = dict(settings.CACHES["default"], LOCATION="redis://127.0.0.1:1/0")
    settings.CACHES = {"default": dead}
    subject = limits(webhook_limit=1)

    assert [rate_limits_hit(**subject) for _ in range(3)] == [None, None, None]


WORKER = textwrap.dedent(
    """
    import json, sys, django
    django.setup()
    from leadhub.api.exceptions import Refusal
    from providers.models import LeadSourceProvider, WebhookConfig
    from providers.ratelimit import rate_limits_hit

    webhook = WebhookConfig(webhook_id=sys.argv[1], rate_limit=int(sys.argv[2]), rate_window=3600)
    provider = LeadSourceProvider(provider_id=sys.argv[3], rate_limit=100000)
    allowed = refused = 0
    for _ in range(int(sys.argv[4])):
        try:
            rate_limits_hit(webhook=webhook, provider=provider)
            allowed += 1
        except Refusal:
            refused += 1
    print(json.dumps({"allowed": allowed, "refused": refused}))
    """
)


def test_limits_hold_across_two_processes():
    if not settings.REDIS_URL:
        pytest.skip("needs Redis (REDIS_URL): the embedded cache is per process by design")
    webhook_id, provider_id = unique_id("wh"), unique_id("prov")
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "leadhub.settings", "REDIS_URL": settings.REDIS_URL}
    workers = [
        subprocess.Popen(
            [sys.executable, "-c", WORKER, webhook_id, "30", provider_id, "40"],
            cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )
        for _ in range(2)
    ]
    results = []
    for worker in workers:
        out, err = worker.communicate(timeout=60)
        assert worker.returncode == 0, err
        results.append(json.loads(out.strip().splitlines()[-1]))

    assert sum(result["allowed"] for result in results) == 30
    assert sum(result["refused"] for result in results) == 50
