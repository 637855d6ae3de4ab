"""No secret leaks: provider keys, workspace keys, webhook secrets and signing secrets are shown
once, when issued, and never again — not in logs, admin pages, API responses or error bodies.

The test issues one of each, then runs every flow that touches them (rotation, authenticated and
refused posts, signed and badly signed webhooks, outbound delivery, the partner API, the admin
changelists and change pages) while capturing every log record at DEBUG, and greps everything it
saw for the raw values.
"""
import json
from datetime import timedelta
import logging

import pytest
from django.forms.models import model_to_dict
from django.test import Client

from leadhub.testing import WebhookReceiver, admin_url, make_provider, make_webhook, valid_phone
from leadhub.testing.api import workspace_with_key
from providers.admin import WebhookConfigForm
from providers.models import RejectedSubmission, WebhookConfig
from providers.services.keys import provider_key_rotate
from providers.signatures import SIGNATURE_HEADER, sign
from workspaces.delivery import outbox_deliver, outbox_emit
from workspaces.models import DeliveryStatus, EventType, LeadForwardingRule
from workspaces.services import workspace_key_rotate

WEBHOOK_SECRET = "whsec-provider-side-Zq81mX0pLw3"
LEAD = {"first_name": "Ada", "last_name": "Lovelace", "email": "ada@example.com", "consent": True, "tcpa": True}


@pytest.fixture
def all_loggers_at_debug(caplog):
    for name in [None, *list(logging.root.manager.loggerDict)]:
        caplog.set_level(logging.DEBUG, logger=name)
    return caplog


class Seen:
    """Everything a client, an operator or a log reader got to see."""

    def __init__(self):
        self.texts = []

    def response(self, response):
        self.texts.append(response.content.decode("utf-8", "replace"))
        self.texts.append(json.dumps(dict(response.items())))
        return response

    def leaks(self, secrets, caplog):
        logged = [record.getMessage() + (record.exc_text or "") for record in caplog.records]
        return {
            name: where
            for name, secret in secrets.items()
            for where, text in (*(("response", text) for text in self.texts), *(("log", text) for text in logged))
            if secret in text
        }


@pytest.mark.django_db
def test_no_secret_appears_after_it_was_issued(admin_client, all_loggers_at_debug):
    seen = Seen()
    with WebhookReceiver([200]) as receiver:
        workspace, _ = workspace_with_key()
        webhook = make_webhook(secret_key=WEBHOOK_SECRET, rate_limit=10**6)
        provider = make_provider(rate_limit=10**6)
        rule = LeadForwardingRule.objects.create(webhook_id=webhook.webhook_id, name="out", target_url=receiver.url)

        # Issue (and re-issue) each secret; the answer that issues one may show it, once.
        old_workspace_key = workspace_key_rotate(workspace=workspace)
        workspace_key = workspace_key_rotate(workspace=workspace, grace=timedelta(0))
        old_provider_key = provider_key_rotate(provider=provider)
        provider_key = provider_key_rotate(provider=provider, grace=timedelta(0))
        partner = Client(headers={"Authorization": f"Bearer {workspace_key}"})
        signing_secret = partner.post("/api/v1/workspace/webhook/secret/").json()["signing_secret"]
        secrets = {
            "workspace key": workspace_key, "old workspace key": old_workspace_key,
            "provider key": provider_key, "old provider key": old_provider_key,
            "webhook secret": WEBHOOK_SECRET, "signing secret": signing_secret,
            "forwarding rule secret": rule.signing_secret,
        }

        # Partner API, with the key and with wrong or old keys.
        seen.response(partner.post("/api/v1/workspace/webhook/", {"outbound_webhook_url": receiver.url,
                                                                 "webhook_active": True},
                                   content_type="application/json"))
        for path in ("/api/v1/workspace/", "/api/v1/leads/", "/api/v1/workspace/events/", "/api/v1/nope/"):
            seen.response(partner.get(path))
        for header in (f"Bearer {old_workspace_key}", f"Bearer {workspace_key}x", f"Bearer {workspace_key} extra",
                       f"Api-Key {old_workspace_key}"):
            assert seen.response(Client(headers={"Authorization": header}).get("/api/v1/leads/")).status_code == 401

        # Provider webhook: accepted, wrong key, old key, bad signature, expired signature.
        url = f"/api/v1/webhooks/{webhook.webhook_id}/leads/"

        def post(body, key, signature):
            headers = {"X-Provider-Id": provider.provider_id, "X-Api-Key": key, SIGNATURE_HEADER: signature}
            return seen.response(Client().post(url, data=body, content_type="application/json", headers=headers))

        body = json.dumps({**LEAD, "phone": valid_phone()}).encode()
        assert post(body, provider_key, sign(WEBHOOK_SECRET, body)).status_code == 201
        assert post(body, old_provider_key, sign(WEBHOOK_SECRET, body)).status_code == 401
        assert post(body, provider_key[:-2], sign(WEBHOOK_SECRET, body)).status_code == 401
        assert post(body, provider_key, sign("not-the-secret", body)).status_code == 401
        assert post(body, provider_key, sign(WEBHOOK_SECRET, body, t=1)).status_code == 401
        assert post(b"{not json", provider_key, sign(WEBHOOK_SECRET, b"{not json")).status_code == 400

        # Outbound delivery, signed with the workspace's secret.
        workspace.refresh_from_db()
        event = outbox_emit(workspace=workspace, event_type=EventType.LEAD_ASSIGNED, data={"lead_id": 1}, contact_id=1)
        assert outbox_deliver(event_id=event.pk).status == DeliveryStatus.DELIVERED

        # Ops: every changelist and change page that shows these rows.
        rows = [workspace, webhook, provider, rule, event, *RejectedSubmission.objects.all()]
        for row in rows:
            seen.response(admin_client.get(admin_url(row, "changelist")))
            assert seen.response(admin_client.get(admin_url(row, "change", row.pk))).status_code == 200
        seen.response(admin_client.get(admin_url(webhook, "changelist"), {"q": webhook.webhook_id}))

    assert seen.leaks(secrets, all_loggers_at_debug) == {}
    # The flows did run: five refusals (the two wrong keys share a row, as unauthenticated ones do).
    refused = RejectedSubmission.objects.filter(webhook_id=webhook.webhook_id)
    assert sum(refused.values_list("tally__occurrences", flat=True)) == 5
    assert len(receiver.requests) == 1


@pytest.mark.django_db
def test_webhook_secret_is_write_only_in_the_admin_form():
    webhook = make_webhook(secret_key=WEBHOOK_SECRET)
    data = {key: value for key, value in model_to_dict(webhook).items() if value is not None}
    form = WebhookConfigForm(data={**data, "secret_key": ""}, instance=webhook)
    assert WEBHOOK_SECRET not in str(form["secret_key"])
    assert form.is_valid(), form.errors
    assert form.save().secret_key == WEBHOOK_SECRET  # blank keeps the current secret

    form = WebhookConfigForm(data={**data, "secret_key": "a-new-secret"}, instance=webhook)
    assert form.is_valid(), form.errors
    assert form.save().secret_key == "a-new-secret"

    form = WebhookConfigForm(data={**data, "secret_key": "", "clear_secret_key": "on"}, instance=webhook)
    assert form.is_valid(), form.errors
    assert form.save().secret_key == ""
    assert WebhookConfig.objects.get(pk=webhook.pk).secret_key == ""
