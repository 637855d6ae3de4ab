"""Fault: the PostgreSQL connection drops in the middle of a request.

The in-process app reaches the test database through a TCP proxy on a free port (the
connection's HOST/PORT are pointed at it); the proxy cuts the connection when a given statement
passes, i.e. inside lead ingest's transaction after the contact and lead rows were sent. The
client must get a 503 with a JSON reason, and none of the transaction's rows may survive.
"""
import json
import uuid

import pytest
from django import db
from django.test import RequestFactory

from contacts.models import Contact, ContactEvent
from leadhub.keys import key_digest
from leadhub.middleware import DatabaseUnavailableMiddleware
from leadhub.testing import assert_webhook_error, make_lead_offer, make_provider, make_webhook, make_workspace, valid_phone
from leadhub.testing.procs import reconnect
from leads.models import Lead, LeadEvent
from providers.models import ProviderUsageLog, WebhookConfig
from workspaces.models import OutboundEvent

API_KEY = "lhp_faults-pg-0123456789"




def post_lead(client, webhook_id, phone):
    body = {
        "first_name": "Edsger",
        "last_name": "Dijkstra",
        "email": "edsger@example.com",
        "phone": phone,
        "zip_code": "94105",
        "consent": {"description": "Yes, call me.", "value": True},
        "tcpa_compliance": True,
    }
    return client.post(
        f"/api/v1/webhooks/{webhook_id}/leads/",
        data=json.dumps(body),
        content_type="application/json",
        headers={"X-Provider-Id": "prov-faults-pg", "X-Api-Key": API_KEY},
    )


def assert_unavailable(response):
    body = assert_webhook_error(response, 503, code="database_unavailable")  # outcome "error": our fault
    assert "database" in body["reason"]
    assert response["Retry-After"] == "5"


@pytest.mark.postgres_only  # the proxy fronts a PostgreSQL server
def test_a_connection_cut_inside_lead_ingest_answers_503_and_writes_nothing(client, proxied_database):
    proxy = proxied_database
    webhook = make_webhook(f"wh-faults-pg-{uuid.uuid4().hex[:8]}", distribution_strategy="priority")
    make_provider("prov-faults-pg", api_key=key_digest(API_KEY))
    workspace = make_workspace(outbound_webhook_url="http://127.0.0.1:9/hook", webhook_active=True)
    make_lead_offer(workspace, webhook=webhook)
    phone = valid_phone()

    # The webhook counter is bumped after the contact, its event, the lead and the lead's event
    # were written in the same transaction: cut there.
    proxy.cut_on(b'UPDATE "webhook_configs"')
    assert_unavailable(post_lead(client, webhook.webhook_id, phone))
    assert proxy.cuts == 1

    reconnect()
    assert not Contact.objects.filter(webhook_id=webhook.webhook_id).exists()
    assert not ContactEvent.objects.exists()
    assert not Lead.objects.filter(webhook_id=webhook.webhook_id).exists()
    assert not LeadEvent.objects.exists()
    assert not ProviderUsageLog.objects.exists()
    assert not OutboundEvent.objects.exists()
    assert WebhookConfig.objects.get(pk=webhook.pk).total_leads == 0

    # The provider retries once the database is back: the lead is taken, exactly once.
    response = post_lead(client, webhook.webhook_id, phone)
    assert response.status_code == 201, response.content
    assert Lead.objects.filter(webhook_id=webhook.webhook_id).count() == 1
    assert Contact.objects.filter(webhook_id=webhook.webhook_id).count() == 1
    assert WebhookConfig.objects.get(pk=webhook.pk).total_leads == 1
    assert sorted(OutboundEvent.objects.values_list("event_type", flat=True)) == ["lead.assigned", "lead.sold"]


@pytest.mark.postgres_only
def test_requests_while_the_database_is_unreachable_answer_503(client, proxied_database):
    proxy = proxied_database
    webhook = make_webhook(f"wh-faults-pg-{uuid.uuid4().hex[:8]}")
    proxy.refuse()
    proxy.cut_all()
    # The provider webhook (a plain view) and the partner API (DRF: authentication hits the DB).
    assert_unavailable(post_lead(client, webhook.webhook_id, valid_phone()))
    assert_unavailable(client.get("/api/v1/leads/", headers={"Authorization": "Bearer lh_live_whatever"}))
    health = client.get("/healthz")
    assert health.status_code == 503 and health.json()["database"].startswith("error")

    proxy.refuse(False)
    reconnect()
    assert client.get("/healthz").status_code == 200


def test_only_database_errors_become_503():
    """The mapping itself (no server needed): other exceptions still reach Django's 500 handling."""
    middleware = DatabaseUnavailableMiddleware(lambda request: None)
    request = RequestFactory().post("/api/v1/webhooks/x/leads/")
    request.request_id = "req-1"
    for error in (db.OperationalError("server closed the connection"), db.InterfaceError("connection already closed")):
        response = middleware.process_exception(request, error)
        assert response.status_code == 503
        assert json.loads(response.content)["request_id"] == "req-1"
    assert middleware.process_exception(request, db.IntegrityError("duplicate key")) is None
    assert middleware.process_exception(request, ValueError("bug")) is None
