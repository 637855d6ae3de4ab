"""Fault: Redis (cache, rate-limit counters, Celery broker) goes away while leads arrive.

The app runs in-process with its production Redis configuration (read from leadhub/settings.py
with REDIS_URL set) pointed at a private redis-server on a free port, which the tests stop
(connections refused) or freeze with SIGSTOP (connections hang). Leads must still be accepted,
quickly, with rate limiting failing open; the outbox rows written meanwhile are delivered by a
real worker's sweeper once Redis is back.
"""
import json
import logging
import runpy
import threading
import uuid

import pytest
import redis
from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.test import override_settings

from contacts.models import Contact
from leadhub.keys import key_digest
from leadhub.testing import WebhookReceiver, make_lead_offer, make_provider, make_webhook, make_workspace, valid_phone
from leadhub.testing.procs import REDIS_SERVER, CeleryWorkers, PrivateRedis, celery_broker, database_url, wait_for
from leads.models import Lead
from providers.models import WebhookConfig
from workspaces.models import DeliveryStatus, EventType, OutboundEvent

pytestmark = [
    pytest.mark.skipif(REDIS_SERVER is None, reason="needs the redis-server binary for a private Redis"),
    pytest.mark.django_db(transaction=True),  # on_commit must fire: that is where the broker is called
]

API_KEY = "lhp_faults-redis-0123456789"
# A frozen Redis costs a request its socket timeouts: each of the rate limiter's cache calls (two
# counters, two calls each) and the enqueue with its one retry; a stopped one is refused at once.
# Without the timeouts the request hangs. The budget is counted in those waits, each bounded by
# a timeout the settings set, not on a stopwatch a busy machine would make run late.
REQUEST_BUDGET_SECONDS = 9
CACHE_CALLS_PER_REQUEST = 4
HUNG_SECONDS = 60  # no bounded request takes this long, however loaded the machine


def production_redis_settings(url):
    """CACHES and Celery broker options exactly as leadhub/settings.py builds them for REDIS_URL."""
    import os

    saved = os.environ.get("REDIS_URL")
    os.environ["REDIS_URL"] = url
    try:
        built = runpy.run_path(str(settings.BASE_DIR / "leadhub" / "settings.py"))
    finally:
        if saved is None:
            del os.environ["REDIS_URL"]
        else:
            os.environ["REDIS_URL"] = saved
    caches = built["CACHES"]
    caches["default"]["KEY_PREFIX"] = f"faults-{uuid.uuid4().hex[:8]}"
    return built, caches


@pytest.fixture
def redis_app():
    """The in-process app on a private Redis: cache, rate limits and Celery publishing."""
    server = PrivateRedis()
    server.start()
    built, caches = production_redis_settings(server.url)
    overrides = {
        "CACHES": caches,
        "DJANGO_REDIS_LOG_IGNORED_EXCEPTIONS": built["DJANGO_REDIS_LOG_IGNORED_EXCEPTIONS"],
    }
    from leadhub.celery import app as celery_app

    saved = celery_app.conf.broker_transport_options, celery_app.conf.task_publish_retry_policy
    celery_app.conf.broker_transport_options = built["CELERY_BROKER_TRANSPORT_OPTIONS"]
    celery_app.conf.task_publish_retry_policy = built["CELERY_TASK_PUBLISH_RETRY_POLICY"]
    try:
        with override_settings(**overrides), celery_broker(server.url):
            yield server
    finally:
        celery_app.conf.broker_transport_options, celery_app.conf.task_publish_retry_policy = saved
        server.stop()


@pytest.fixture
def source():
    """A provider posting to a webhook whose leads go to a workspace's receiver (its lead offer:
    each lead reaches it as `lead.assigned`)."""
    receiver = WebhookReceiver([200])
    receiver.__enter__()
    workspace = make_workspace(outbound_webhook_url=receiver.url, webhook_active=True)
    webhook = make_webhook(f"wh-faults-{uuid.uuid4().hex[:10]}", rate_limit=2, distribution_strategy="priority")
    provider = make_provider(f"prov-faults-{uuid.uuid4().hex[:10]}", api_key=key_digest(API_KEY))
    make_lead_offer(workspace, webhook=webhook)
    yield webhook, provider, receiver
    receiver.__exit__(None, None, None)


def post_lead(client, webhook, provider):
    body = {
        "first_name": "Grace",
        "last_name": "Hopper",
        "email": "grace@example.com",
        "phone": valid_phone(),
        "zip_code": "94105",
        "consent": {"description": "Yes, call me.", "value": True},
        "tcpa_compliance": True,
    }
    return client.post(
        f"/api/v1/webhooks/{webhook.webhook_id}/leads/",
        data=json.dumps(body),
        content_type="application/json",
        headers={"X-Provider-Id": provider.provider_id, "X-Api-Key": API_KEY},
    )


def post_lead_bounded(client, webhook, provider):
    """post_lead in a thread, so a hanging request fails the test instead of stalling the run."""
    from django.db import connections

    outcome = []

    def run():
        try:
            outcome.append(post_lead(client, webhook, provider))
        finally:
            connections.close_all()

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    thread.join(HUNG_SECONDS)
    assert outcome, f"the request hung for over {HUNG_SECONDS} s"
    return outcome[0]


def test_the_private_redis_really_backs_the_cache_and_the_rate_limits(client, redis_app, source, frozen_clock):
    """Control: while Redis is up the webhook's limit of 2 per minute is enforced from Redis (on a
    frozen clock: three posts straddling a minute's start would each find room)."""
    webhook, provider, _receiver = source
    cache.set("faults-probe", 1)
    assert redis.Redis(port=redis_app.port).keys("*faults-probe")  # it is our server that holds it
    statuses = [post_lead(client, webhook, provider) for _ in range(3)]
    assert [response.status_code for response in statuses] == [201, 201, 429]
    assert statuses[0]["X-RateLimit-Remaining"] == "1"


def test_the_waits_a_request_may_take_fit_its_budget():
    """What bounds a request while Redis hangs: each wait it may take ends at a timeout the
    production settings set (the cache's, the broker's with its one retry)."""
    built, caches = production_redis_settings("redis://127.0.0.1:6399/0")
    options = caches["default"]["OPTIONS"]
    broker, retry = built["CELERY_BROKER_TRANSPORT_OPTIONS"], built["CELERY_TASK_PUBLISH_RETRY_POLICY"]
    enqueue = (retry["max_retries"] + 1) * (broker["socket_connect_timeout"] + broker["socket_timeout"])
    assert CACHE_CALLS_PER_REQUEST * options["SOCKET_TIMEOUT"] + enqueue <= REQUEST_BUDGET_SECONDS


@pytest.mark.parametrize("outage", ["stopped", pytest.param("frozen", marks=pytest.mark.slow)])
def test_leads_are_accepted_quickly_while_redis_is_down(client, redis_app, source, outage, caplog):
    webhook, provider, _receiver = source
    for _ in range(2):  # warm (pooled cache and broker connections exist) and use up the limit of 2
        post_lead(client, webhook, provider)
    if outage == "stopped":
        redis_app.stop()  # connections refused
    else:
        redis_app.freeze()  # connections accepted but never answered: only timeouts end them

    failure = redis.TimeoutError if outage == "frozen" else redis.ConnectionError
    # Each post is over the limit: fail-open. A frozen Redis costs every post its timeouts, so one
    # post proves it there; refused connections are cheap, so a few show it holds.
    posts = 3 if outage == "stopped" else 1
    for _ in range(posts):
        caplog.clear()
        with caplog.at_level(logging.WARNING):
            response = post_lead_bounded(client, webhook, provider)
        assert response.status_code == 201, response.content
        assert "X-RateLimit-Remaining" not in response  # no counter could be read: limits not applied
        waits = [r.exc_info[1] for r in caplog.records if r.name == "django_redis.cache" and r.exc_info]
        assert 0 < len(waits) <= CACHE_CALLS_PER_REQUEST, waits
        assert all(isinstance(wait.__cause__, failure) for wait in waits), waits  # ended by the timeout or refusal
        # Each sold lead's two events (lead.assigned, lead.sold) wait for the sweeper.
        assert len([r for r in caplog.records if "could not enqueue" in r.getMessage()]) == 2
    assert Lead.objects.filter(webhook_id=webhook.webhook_id).count() == 2 + posts
    assert WebhookConfig.objects.get(pk=webhook.pk).total_leads == 2 + posts
    # The outbox rows of the leads accepted during the outage wait for the sweeper.
    waiting = OutboundEvent.objects.filter(event_type=EventType.LEAD_ASSIGNED, enqueued_at__isnull=True)
    assert waiting.filter(status=DeliveryStatus.PENDING).count() == posts


@pytest.mark.slow
@pytest.mark.postgres_only  # the worker process must reach the test database
def test_events_written_while_redis_was_down_are_delivered_once_it_returns(client, redis_app, source, tmp_path):
    webhook, provider, receiver = source
    redis_app.stop()
    accepted = [post_lead(client, webhook, provider) for _ in range(2)]
    assert [response.status_code for response in accepted] == [201, 201]
    lead_ids = sorted(response.json()["lead_id"] for response in accepted)

    redis_app.start()  # same port: the app and the worker find it again
    workers = CeleryWorkers(tmp_path, env={
        "DATABASE_URL": database_url(connection.settings_dict),
        "DB_CONN_MAX_AGE": "0",
        "REDIS_URL": redis_app.url,
        "CACHE_KEY_PREFIX": f"faults{redis_app.port}",
        "OUTBOX_SWEEP_SECONDS": "1",
        "OUTBOX_REENQUEUE_SECONDS": "1",
    })
    try:
        worker = workers.start(name="faults-redis", beat=True)
        delivered = OutboundEvent.objects.filter(event_type=EventType.LEAD_ASSIGNED, status=DeliveryStatus.DELIVERED)
        wait_for(lambda: delivered.count() == 2, what="the sweeper's deliveries", logs=[worker.log])
    finally:
        workers.stop_all()
    bodies = [json.loads(request["body"]) for request in receiver.requests]
    sent = sorted(body["data"]["lead_id"] for body in bodies if body["type"] == EventType.LEAD_ASSIGNED)
    assert sent == lead_ids
    # And the cache works again for the same app: the webhook's limit is counted once more.
    response = post_lead(client, webhook, provider)
    assert response.status_code == 201 and "X-RateLimit-Remaining" in response
    assert Contact.objects.count() == 3
