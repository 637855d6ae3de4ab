"""Real concurrent posts on PostgreSQL: separate connections, committed transactions, no mocks."""
import json
import threading
import urllib.error
import urllib.request
from contextlib import contextmanager

import pytest
from django.core.servers.basehttp import ThreadedWSGIServer, WSGIRequestHandler
from django.core.wsgi import get_wsgi_application

from contacts.models import Contact
from leadhub.testing import (
    PROVIDER_API_KEY, make_keyed_provider, make_provider, make_webhook, run_at_once, unique_id, valid_phone,
)
from leads.models import Lead
from leads.services.ingest import IngestConflict, lead_ingest
from providers.models import ProviderUsageLog

pytestmark = [pytest.mark.postgres_only, pytest.mark.django_db(transaction=True)]


def payload(phone, i, **fields):
    return {"first_name": "Ada", "last_name": f"Lovelace{i}", "email": f"ada{i}@example.com", "phone": phone, **fields}


def test_fifty_posts_for_one_phone_make_one_contact_and_fifty_leads():
    webhook, provider = make_webhook(), make_provider()
    phone = valid_phone()
    forms = [phone, phone[2:], f"({phone[2:5]}) {phone[5:8]}-{phone[8:]}"]

    results, errors = run_at_once(
        50, lambda i: lead_ingest(webhook=webhook, payload=payload(forms[i % 3], i), provider=provider)
    )

    assert errors == []
    contact = Contact.objects.get()
    assert contact.phone == phone
    assert Lead.objects.filter(contact=contact).count() == 50
    assert sorted(r.contact_status for r in results) == ["existing"] * 49 + ["new"]
    assert contact.events.filter(event_type="created").count() == 1
    assert contact.events.filter(event_type="updated").count() == 49
    webhook.refresh_from_db()
    assert webhook.total_leads == 50
    assert ProviderUsageLog.objects.get(provider=provider, webhook_id=webhook.webhook_id).request_count == 50


@contextmanager
def http_server():
    """A threaded HTTP server for the project (one thread and one database connection per
    request), like pytest-django's live_server but with a listen backlog for 50 clients at once
    (the live server's 10 resets the rest)."""
    class Server(ThreadedWSGIServer):
        request_queue_size = 64

    server = Server(("127.0.0.1", 0), WSGIRequestHandler)
    server.set_app(get_wsgi_application())
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()


def test_fifty_http_posts_for_one_phone_through_the_webhook_endpoint():
    """The same race end to end, over HTTP: through the view, auth, rate limits and the
    rejected-submission store; every post answered 201, none 5xx."""
    webhook, provider = make_webhook(unique_id("wh")), make_keyed_provider()
    phone = valid_phone()

    def post(i):
        request = urllib.request.Request(
            url, data=json.dumps(payload(f"({phone[2:5]}) {phone[5:8]}-{phone[8:]}", i)).encode(), method="POST",
            headers={"Content-Type": "application/json", "X-Provider-Id": provider.provider_id,
                     "X-Api-Key": PROVIDER_API_KEY},
        )
        try:
            with urllib.request.urlopen(request, timeout=60) as response:
                return response.status, json.loads(response.read())
        except urllib.error.HTTPError as exc:
            return exc.code, exc.read()

    with http_server() as base_url:
        url = f"{base_url}/api/v1/webhooks/{webhook.webhook_id}/leads/"
        results, errors = run_at_once(50, post)

    assert errors == []
    assert sorted(status for status, _ in results) == [201] * 50
    assert sorted(body["contact_status"] for _, body in results) == ["existing"] * 49 + ["new"]
    contact = Contact.objects.get()
    assert {body["contact_id"] for _, body in results} == {contact.pk}
    assert Lead.objects.filter(contact=contact).count() == 50
    webhook.refresh_from_db()
    assert webhook.total_leads == 50
    assert ProviderUsageLog.objects.get(provider=provider, webhook_id=webhook.webhook_id).request_count == 50


def test_racing_posts_of_one_new_external_id_make_one_lead_and_replays():
    webhook = make_webhook()
    same = payload(valid_phone(), 0, id=770001)

    results, errors = run_at_once(12, lambda i: lead_ingest(webhook=webhook, payload=same))

    assert errors == []
    lead = Lead.objects.get()
    assert lead.external_id == "770001"
    assert sorted(r.created for r in results) == [False] * 11 + [True]
    assert {r.lead.pk for r in results} == {lead.pk}
    webhook.refresh_from_db()
    assert webhook.total_leads == 1


def test_racing_posts_of_one_new_external_id_with_different_payloads_conflict():
    webhook = make_webhook()

    results, errors = run_at_once(12, lambda i: lead_ingest(webhook=webhook, payload=payload(valid_phone(), i, id=770002)))

    assert len([r for r in results if r is not None]) == 1
    assert len(errors) == 11 and all(isinstance(e, IngestConflict) for e in errors)
    assert Lead.objects.get().external_id == "770002"
    assert Contact.objects.count() == 1  # the losers' contacts were rolled back with them
