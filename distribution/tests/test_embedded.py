"""The embedded default (SQLite file, eager Celery, no services) under light concurrent load: every
lead posted is distributed, and a failed distribution is retried after the provider's answer, never
inside its request."""
import sqlite3
from contextlib import closing

import pytest
from django.db import connection
from django.test import Client

from distribution.models import Decision, DecisionResult
from leadhub.testing import (
    make_keyed_provider, make_lead_offer, make_webhook, make_workspace, provider_post, run_at_once, unique_id,
    valid_phone,
)
from leadhub.testing.procs import wait_for
from leads.models import Lead

pytestmark = [pytest.mark.sqlite_only, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def file_database(transactional_db, tmp_path):
    """This process's connections use a real SQLite file (the migrated test database copied into
    it), with the project's connection OPTIONS: the in-memory test database shares one cache and
    locks tables, not the file locks `make run` meets. The in-memory database lives only while a
    connection to it is open: this thread's is kept aside and put back after."""
    params = connection.settings_dict
    saved_name, path = params["NAME"], tmp_path / "embedded.sqlite3"
    connection.ensure_connection()
    in_memory = connection.connection
    with closing(sqlite3.connect(path)) as target:
        in_memory.backup(target)
    params["NAME"], connection.connection = str(path), None
    try:
        yield path
    finally:
        connection.close()
        params["NAME"], connection.connection = saved_name, in_memory


def body(i):
    return {"first_name": "Ada", "last_name": f"Lovelace{i}", "email": f"ada{i}@example.com",
            "phone": valid_phone(), "zip_code": "94105", "consent_value": "true", "tcpa_compliance": "yes"}


def distributing_webhook():
    webhook = make_webhook(unique_id("wh-embedded"), distribution_strategy="priority")
    make_lead_offer(make_workspace(), webhook=webhook)
    return webhook, make_keyed_provider()


@pytest.mark.slow
def test_thirty_posts_over_ten_threads_are_all_distributed(file_database):
    webhook, provider = distributing_webhook()
    path = f"/api/v1/webhooks/{webhook.webhook_id}/leads/"

    def three_posts(thread):
        client = Client()
        return [provider_post(client, path, body(thread * 3 + n), provider=provider).status_code for n in range(3)]

    results, errors = run_at_once(10, three_posts)

    assert errors == []
    assert sorted(status for statuses in results for status in statuses) == [201] * 30
    assert Lead.objects.filter(webhook_id=webhook.webhook_id).count() == 30
    decisions = Decision.objects.filter(webhook_id=webhook.webhook_id)
    failed = decisions.filter(result=DecisionResult.FAILED).count()
    undistributed = Lead.objects.filter(webhook_id=webhook.webhook_id, workspace__isnull=True).count()
    assert (failed, undistributed) == (0, 0)
    assert decisions.filter(result=DecisionResult.ASSIGNED).exclude(workspace_ids=[]).count() == 30


def test_six_identical_posts_at_once_under_a_reject_duplicate_rule_accept_exactly_one(file_database):
    """The duplicate rules at intake need no lock of their own here: IMMEDIATE transactions
    serialise the writers, so each post's lookup sees the posts committed before it."""
    from leads.models import DuplicateRule

    webhook, provider = make_webhook(unique_id("wh-embedded")), make_keyed_provider()
    DuplicateRule.objects.create(webhook=webhook, keys="phone", action="reject", window_seconds=86400)
    same = body(0)

    results, errors = run_at_once(6, lambda i: provider_post(
        Client(), f"/api/v1/webhooks/{webhook.webhook_id}/leads/", same, provider=provider).status_code)

    assert errors == []
    assert sorted(results) == [201] + [409] * 5
    assert Lead.objects.filter(webhook_id=webhook.webhook_id).count() == 1


# Sales fail on the connection that runs this (a temporary trigger lives on one connection only):
# the provider's request fails to distribute, a retry on any other connection sells.
SALES_REFUSED_HERE = ("CREATE TEMP TRIGGER sales_refused_here BEFORE INSERT ON distribution_sales "
                      "BEGIN SELECT RAISE(ABORT, 'database is locked'); END")


def test_a_failed_distribution_is_retried_after_the_answer_never_inside_its_request(file_database, settings):
    settings.DISTRIBUTION_RETRY_SECONDS = 0  # due at once: what counts is where it runs
    webhook, provider = distributing_webhook()
    with connection.cursor() as cursor:
        cursor.execute(SALES_REFUSED_HERE)

    response = provider_post(Client(), f"/api/v1/webhooks/{webhook.webhook_id}/leads/", body(0), provider=provider)

    assert response.status_code == 201, response.content
    assert response.json()["disposition"]["sold"] is False
    lead = Lead.objects.get(webhook_id=webhook.webhook_id)
    # Every attempt on the request's connection fails: one failed decision is one attempt inside it.
    assert lead.decisions.filter(result=DecisionResult.FAILED).count() == 1
    wait_for(lambda: Lead.objects.filter(pk=lead.pk, workspace__isnull=False).exists(), timeout=20,
             what="the retry to sell the lead")
    assert list(lead.decisions.order_by("id").values_list("result", flat=True)) == ["failed", "assigned"]
