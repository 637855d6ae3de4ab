"""Ops work the returns queue in the admin: approve or reject (with a reason) by an action that
calls the same services, and read each return's evidence; the offer admin edits the limits."""
from datetime import timedelta
from decimal import Decimal as D

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.utils import timezone

from distribution.models import Offer
from leadhub.testing import admin_url, make_lead, make_webhook, make_workspace
from ledger.models import Entry, EntryKind
from returns.models import Return, ReturnState
from returns.services import return_request
from workspaces.models import AttemptOutcome, DeliveryAttempt, DeliveryStatus, OutboundEvent

from .helpers import reason, sell

pytestmark = pytest.mark.django_db


def act(client, action, returns, **form):
    data = {"action": action, ACTION_CHECKBOX_NAME: [r.pk for r in returns]}
    first = client.post(admin_url(Return, "changelist"), data)
    assert first.status_code == 200 and b"post" in first.content  # the confirmation page
    return client.post(admin_url(Return, "changelist"), {**data, "post": "yes", **form})


def test_ops_approve_and_reject_from_the_queue(admin_client):
    reason()
    buyer = make_workspace()
    returns = [return_request(sale=sell(buyers=[buyer])[1][0], reason="other", by="b") for _ in range(3)]
    queue = admin_client.get(admin_url(Return, "changelist"))
    assert [r.pk for r in queue.context["cl"].result_list][:3] == sorted((r.pk for r in returns), reverse=True)
    assert act(admin_client, "approve_returns", returns[:1]).status_code == 302
    refused = act(admin_client, "reject_returns", returns[1:2], reason="")
    assert refused.status_code == 200  # the reason is required: the page again
    assert act(admin_client, "reject_returns", returns[1:2], reason="the phone answers").status_code == 302
    states = dict(Return.objects.values_list("pk", "state"))
    assert [states[r.pk] for r in returns] == [ReturnState.APPROVED, ReturnState.REJECTED, ReturnState.REQUESTED]
    assert Return.objects.get(pk=returns[1].pk).decision_reason == "the phone answers"
    assert Entry.objects.filter(kind=EntryKind.RETURN_CREDIT, reference=f"return:{returns[0].sale_id}").exists()
    queue = admin_client.get(admin_url(Return, "changelist"))
    assert queue.context["cl"].result_list[0].pk == returns[2].pk  # the one still requested leads the queue


def test_the_return_page_shows_the_evidence_a_dispute_needs(admin_client, still_clock):
    reason()
    buyer = make_workspace(outbound_webhook_url="https://buyer.example/hook", webhook_active=True)
    earlier = timezone.now() - timedelta(days=2)
    webhook = make_webhook(distribution_strategy="priority")
    sell(buyers=[buyer], webhook=webhook, at=earlier)  # an earlier lead of this buyer, never returned
    lead = make_lead(zip_code="94105", webhook_id=webhook.webhook_id, consent_value=True,
                     consent_description="I agree to be called by Acme",
                     trustedform_cert_url="https://cert.trustedform.com/0123456789abcdef0123456789abcdef01234567")
    lead, [sale] = sell(buyers=[buyer], webhook=webhook, lead=lead)
    event = OutboundEvent.objects.filter(workspace=buyer, subject_id=str(lead.pk)).first()
    OutboundEvent.objects.filter(pk=event.pk).update(status=DeliveryStatus.DELIVERED, delivered_at=timezone.now(),
                                                     last_status_code=202, attempts=2)
    DeliveryAttempt.objects.create(event=event, target_url=event.target_url, status_code=503,
                                   outcome=AttemptOutcome.RETRY)
    DeliveryAttempt.objects.create(event=event, target_url=event.target_url, status_code=202,
                                   outcome=AttemptOutcome.DELIVERED)
    ret = return_request(sale=sale, reason="other", note="says she never asked", by="b",
                         at=timezone.now() + timedelta(hours=1))  # the clock stands still: an hour after the sale
    page = admin_client.get(admin_url(Return, "change", ret.pk))
    assert page.status_code == 200
    text = page.content.decode()
    for shown in ("I agree to be called by Acme", "cert.trustedform.com", "503 retry", "202 delivered",
                  "No earlier sale of this phone", "Not suppressed for this buyer",
                  "Before this one: 0 return(s), 0 approved, of 2 lead(s) bought: 0.0%"):
        assert shown in text, shown


def test_the_offer_admin_edits_the_return_limits(admin_client):
    offer = Offer.objects.create(workspace=make_workspace(), products=["solar"], price=D("10"))
    page = admin_client.get(admin_url(Offer, "change", offer.pk))
    for name in ("return_window_hours", "return_cap_count", "return_cap_percent"):
        assert f'name="{name}"' in page.content.decode()
    assert offer.return_window_hours == 72 and offer.return_cap_count is None
