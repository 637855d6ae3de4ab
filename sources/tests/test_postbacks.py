"""Postbacks: a source's webhook hears that its lead was sold, returned, or its payout taken
back — signed with its postback secret, retried and swept by the outbox like every outbound
event, and never naming the buyer nor the price."""
import json
from decimal import Decimal as D

import pytest
from django.test import override_settings

from distribution.hand import lead_sell_by_hand
from distribution.services import payout_chargeback
from leadhub.testing import LONG_AGO, WebhookReceiver, make_lead, make_webhook, make_workspace
from providers.services.keys import PostbackInvalid, webhook_postback_set
from providers.signatures import verify
from sources.postbacks import source_lead_returned_emit
from workspaces.delivery import outbox_deliver, outbox_sweep
from workspaces.models import DeliveryStatus, OutboundEvent

pytestmark = pytest.mark.django_db


def source(url=""):
    webhook = make_webhook(payout_kind="fixed", payout_amount=D("4"), payout_on="sold")
    secret = webhook_postback_set(webhook=webhook, postback_url=url) if url else None
    lead = make_lead(webhook_id=webhook.webhook_id, external_id="acme-9", zip_code="94105", provider_id="acme")
    return webhook, secret, lead


def sell(lead, name="Sunny Buyer Co"):
    buyer = make_workspace(name=name)
    lead_sell_by_hand(lead=lead, workspace=buyer, by="ops@example.com", price="37.25", reason="phoned in")
    return buyer


def postbacks(lead, event_type):
    return list(OutboundEvent.objects.filter(subject_id=str(lead.pk), event_type=event_type))


def test_a_sale_is_posted_back_signed_retried_and_never_names_the_buyer():
    with WebhookReceiver([500, 200]) as receiver:
        webhook, secret, lead = source(receiver.url)
        buyer = sell(lead)
        [event] = postbacks(lead, "source.lead_sold")
        assert (event.workspace_id, event.target_ref, event.status) == (None, f"source:{webhook.webhook_id}", "pending")

        assert outbox_deliver(event_id=event.pk).status == DeliveryStatus.PENDING  # 500: retried later
        assert outbox_deliver(event_id=event.pk) is None  # not due yet
        OutboundEvent.objects.filter(pk=event.pk).update(next_attempt_at=LONG_AGO)  # due
        assert outbox_deliver(event_id=event.pk).status == DeliveryStatus.DELIVERED

    assert len(receiver.requests) == 2
    request = receiver.requests[-1]
    verify(secret, request["headers"]["X-Leadhub-Signature"], request["body"])
    body = json.loads(request["body"])
    assert body["type"] == "source.lead_sold"
    assert body["data"]["lead_id"] == lead.pk and body["data"]["external_id"] == "acme-9"
    assert body["data"]["payout_change"] == {"amount": "4.00", "currency": "USD"}
    for secret_word in (buyer.pk, buyer.name, "37.25"):
        assert secret_word not in request["body"].decode()


def test_a_chargeback_is_posted_back_once_and_a_return_can_be():
    with WebhookReceiver([200]) as receiver:
        webhook, secret, lead = source(receiver.url)
        buyer = sell(lead)
        payout_chargeback(lead=lead, by="ops", reason="returned")
        assert payout_chargeback(lead=lead, by="ops", reason="again") is None
        [reversed_] = postbacks(lead, "source.payout_reversed")
        assert reversed_.data["payout_change"] == {"amount": "-4.00", "currency": "USD"}

        returned = source_lead_returned_emit(lead=lead, reason_code="wrong_number", payout_change=D("-4"),
                                             at=LONG_AGO)
        assert returned.data["reason_code"] == "wrong_number" and returned.data["external_id"] == "acme-9"
        for event in (reversed_, returned):
            assert outbox_deliver(event_id=event.pk).status == DeliveryStatus.DELIVERED
    for request in receiver.requests:
        verify(secret, request["headers"]["X-Leadhub-Signature"], request["body"])
        assert buyer.pk not in request["body"].decode() and "37.25" not in request["body"].decode()


def test_the_sweeper_sends_a_postback_whose_task_was_lost(eager_celery):
    with WebhookReceiver([200]) as receiver:
        _webhook, _secret, lead = source(receiver.url)
        sell(lead)
        [event] = postbacks(lead, "source.lead_sold")
        OutboundEvent.objects.filter(pk=event.pk).update(enqueued_at=None)  # the broker was down
        assert outbox_sweep() == 1
    assert receiver.event_ids == [str(event.pk)]


def test_no_postback_url_no_postback_and_a_removed_one_ends_the_retries():
    _webhook, _secret, quiet = source()
    sell(quiet)
    assert not OutboundEvent.objects.filter(subject_id=str(quiet.pk), event_type__startswith="source.").exists()

    with WebhookReceiver([200]) as receiver:
        webhook, _secret, lead = source(receiver.url)
        sell(lead)
        webhook_postback_set(webhook=webhook, postback_url="")
        [event] = postbacks(lead, "source.lead_sold")
        assert outbox_deliver(event_id=event.pk) is None
    event.refresh_from_db()
    assert event.status == DeliveryStatus.FAILED and "no events" in event.last_response
    assert receiver.requests == []


def test_the_postback_url_passes_the_outbound_guard():
    webhook = make_webhook()
    with pytest.raises(PostbackInvalid) as refused:
        webhook_postback_set(webhook=webhook, postback_url="not a url")
    assert "postback_url" in refused.value.errors
    with override_settings(OUTBOUND_ALLOW_PRIVATE_TARGETS=False), pytest.raises(PostbackInvalid):
        webhook_postback_set(webhook=webhook, postback_url="http://127.0.0.1:9/hook")
    webhook.refresh_from_db()
    assert (webhook.postback_url, webhook.postback_secret) == ("", "")
    secret = webhook_postback_set(webhook=webhook, postback_url="https://example.com/pb")
    assert secret.startswith("whsec_")
    assert webhook_postback_set(webhook=webhook, postback_url="https://example.com/pb2") is None
    webhook.refresh_from_db()
    assert webhook.postback_secret == secret


def test_ops_set_the_postback_url_in_the_webhook_admin_and_see_its_secret_once(admin_client):
    from leadhub.testing import admin_change_form_data, admin_url
    from providers.models import WebhookConfig

    webhook = make_webhook()
    change = admin_url(webhook, "change", webhook.pk)
    data = admin_change_form_data(admin_client.get(change), webhook)
    data.update(postback_url="https://example.com/postbacks", lead_type=webhook.lead_type, rate_limit=100,
                rate_window=60)
    shown = admin_client.post(change, data)
    secret = WebhookConfig.objects.get(pk=webhook.pk).postback_secret
    assert shown.status_code == 200 and secret and secret in shown.content.decode()
    page = admin_client.get(change).content.decode()
    assert secret not in page and "Postback secret" in page


def test_an_approved_return_is_posted_back_with_its_reason_and_the_provider_reads_it():
    """Through the returns service: the buyer returns the lead, ops approve it; the source is told
    `source.lead_returned` with the reason code and the payout taken back (a share payout's part),
    and its read API shows the reason — never the buyer."""
    from returns.services import return_approve, return_request
    from returns.tests.helpers import reason
    from sources.tests.builders import keyed_provider_client

    provider, client = keyed_provider_client()
    reason("wrong_number")
    with WebhookReceiver([200]) as receiver:
        webhook = make_webhook(payout_kind="share", payout_share=D("40"), chargeback_on_return=True)
        secret = webhook_postback_set(webhook=webhook, postback_url=receiver.url)
        lead = make_lead(webhook_id=webhook.webhook_id, external_id="acme-10", zip_code="94105",
                         provider_id=provider.provider_id)
        buyer = make_workspace(name="Sunny Buyer Co")
        sale = lead_sell_by_hand(lead=lead, workspace=buyer, by="ops@example.com", price="50.00", reason="phoned in")
        return_approve(ret=return_request(sale=sale, reason="wrong_number", by=f"workspace:{buyer.pk}"), by="ops")
        [returned] = postbacks(lead, "source.lead_returned")
        assert returned.data["reason_code"] == "wrong_number"
        assert returned.data["payout_change"] == {"amount": "-20.00", "currency": "USD"}
        assert outbox_deliver(event_id=returned.pk).status == DeliveryStatus.DELIVERED
    verify(secret, receiver.requests[-1]["headers"]["X-Leadhub-Signature"], receiver.requests[-1]["body"])
    assert buyer.pk not in receiver.requests[-1]["body"].decode()
    disposition = client.get(f"/api/v1/provider/leads/{lead.pk}/").json()["disposition"]
    assert (disposition["returned"], disposition["return_reason"]) == (True, "wrong_number")
