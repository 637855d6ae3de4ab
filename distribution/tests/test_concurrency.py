"""Distribution on PostgreSQL with real concurrent connections: round-robin fairness, and a
failed distribution (a lock not granted) keeping the lead stored and unsold."""
import base64
import json
import os
import threading
from collections import Counter

import pytest
import redis
from django.db import connection, connections, transaction

from distribution.models import Decision, DecisionResult, Offer, RoundRobinCursor
from distribution.services import lead_distribute
from distribution.tasks import distribute_lead
from leadhub.testing import make_keyed_provider, make_lead, make_webhook, make_workspace, provider_post, run_at_once
from leadhub.testing.procs import REDIS_SERVER, PrivateRedis, celery_broker
from leads.models import Lead

pytestmark = [pytest.mark.postgres_only, pytest.mark.django_db(transaction=True)]

PAYLOAD = {"first_name": "Ada", "last_name": "Byron", "email": "ada@example.com", "phone": "(415) 867-5309",
           "zip_code": "94105", "consent_value": "true", "tcpa_compliance": "yes"}


def test_round_robin_stays_fair_under_fifty_concurrent_leads():
    offers = [Offer.objects.create(workspace=make_workspace(), priority=3) for _ in range(3)]
    leads = [make_lead(webhook_id="wh-rr") for _ in range(50)]
    decisions, errors = run_at_once(50, lambda i: lead_distribute(lead=leads[i], strategy="round_robin"))
    assert errors == []
    per_workspace = Counter(d.workspace_ids[0] for d in decisions)
    assert set(per_workspace) == {o.workspace_id for o in offers}
    assert max(per_workspace.values()) - min(per_workspace.values()) <= 1
    assert RoundRobinCursor.objects.get().position == 49


def hold_lock(sql, params, release: threading.Event, held: threading.Event):
    """Another connection holds a row lock until `release` is set."""
    def run():
        try:
            with transaction.atomic():
                with connection.cursor() as cursor:
                    cursor.execute(sql, params)
                held.set()
                release.wait(timeout=30)
        finally:
            connection.close()
    thread = threading.Thread(target=run)
    thread.start()
    assert held.wait(timeout=10)
    return thread


@pytest.fixture
def fresh_broker(settings):
    """The retry is published to the configured broker over connections of its own, whatever an
    earlier test in this process did to the pooled ones."""
    with celery_broker(settings.CELERY_BROKER_URL):
        yield


def test_a_distribution_that_cannot_get_its_lock_leaves_the_lead_unsold_and_queues_a_retry(fresh_broker):
    Offer.objects.create(workspace=make_workspace())
    lead = make_lead()
    release, held = threading.Event(), threading.Event()
    # NO KEY UPDATE: it still refuses distribution's FOR UPDATE, but not the foreign-key check of the
    # failed decision's INSERT, which a FOR UPDATE would keep waiting until the holder gives up.
    thread = hold_lock("SELECT id FROM leads WHERE id = %s FOR NO KEY UPDATE", [lead.pk], release, held)
    try:
        decision = lead_distribute(lead=lead, strategy="priority")
    finally:
        release.set()
        thread.join()
    assert decision.result == DecisionResult.FAILED and "lock" in decision.error.lower()
    lead.refresh_from_db()
    assert lead.workspace_id is None


def test_a_webhook_post_whose_distribution_fails_is_still_accepted(client, fresh_broker):
    Offer.objects.create(workspace=make_workspace(), priority=2)
    Offer.objects.create(workspace=make_workspace(), priority=2)
    webhook, provider = make_webhook(distribution_strategy="round_robin"), make_keyed_provider()
    RoundRobinCursor.objects.create(key=f"{webhook.webhook_id}:2")
    release, held = threading.Event(), threading.Event()
    thread = hold_lock("SELECT id FROM distribution_round_robin FOR UPDATE", [], release, held)
    try:
        response = provider_post(client, f"/api/v1/webhooks/{webhook.webhook_id}/leads/", PAYLOAD, provider=provider)
    finally:
        release.set()
        thread.join()
    assert response.status_code == 201, response.content
    lead = Lead.objects.get()
    assert lead.workspace_id is None
    assert Decision.objects.get(lead=lead).result == DecisionResult.FAILED
    for alias in connections:
        connections[alias].close()


@pytest.mark.skipif(not os.environ.get("REDIS_URL") or REDIS_SERVER is None, reason="needs Redis and redis-server")
def test_a_webhook_lead_whose_distribution_times_out_is_kept_unsold_and_its_retry_is_queued_and_runs(client):
    """The lock is really held by another connection: `lock_timeout` fires, the post still gets
    its 201, the lead is stored unsold, a retry task is published to the broker, and that task
    (run as a worker would) sells the lead once the lock is gone."""
    buyer = Offer.objects.create(workspace=make_workspace())
    webhook, provider = make_webhook(distribution_strategy="priority"), make_keyed_provider()
    server = PrivateRedis()
    server.start()
    release, held = threading.Event(), threading.Event()
    # Another transaction holds the buyer's row (e.g. ops editing it): the assignment's foreign keys wait on it.
    thread = hold_lock("SELECT id FROM workspaces WHERE id = %s FOR UPDATE", [buyer.workspace_id], release, held)
    try:
        with celery_broker(server.url):
            response = provider_post(
                client, f"/api/v1/webhooks/{webhook.webhook_id}/leads/", PAYLOAD, provider=provider
            )
            queued = [json.loads(m) for m in redis.Redis(port=server.port).lrange("celery", 0, -1)]
    finally:
        release.set()
        thread.join()
        server.stop()
    assert response.status_code == 201, response.content
    lead = Lead.objects.get()
    assert lead.workspace_id is None
    failed = Decision.objects.get(lead=lead)
    assert failed.result == DecisionResult.FAILED and "lock timeout" in failed.error.lower()
    (message,) = [m for m in queued if m["headers"]["task"] == distribute_lead.name]
    args, kwargs, _ = json.loads(base64.b64decode(message["body"]))
    assert (args, kwargs) == ([lead.pk], {"attempt": 2}) and message["headers"]["eta"]
    distribute_lead.apply(args=args, kwargs=kwargs)
    lead.refresh_from_db()
    assert lead.workspace_id == buyer.workspace_id
    assert lead.decisions.order_by("id").last().result == DecisionResult.ASSIGNED
    for alias in connections:
        connections[alias].close()
