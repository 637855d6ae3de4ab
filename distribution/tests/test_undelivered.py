"""A buyer that cannot take delivery does not keep the lead: credited once, its access revoked,
excluded from the lead for good, the lead offered again without it, and under `payout_on =
sold` the source's payout of a lead whose only sale failed taken back. The outside attack that
found it: a buyer whose webhook answered 400 got the credit, kept reading the lead, pointed its
webhook at a working URL and redelivered the event to itself."""
from decimal import Decimal as D

import pytest

from distribution.models import Decision, DecisionResult, Offer
from distribution.services import lead_distribute, sale_undelivered
from leadhub.testing import WebhookReceiver, make_lead, make_webhook
from leadhub.testing.api import workspace_with_key
from ledger.models import Entry, EntryKind
from ledger.verify import ledger_verify
from leads.models import Lead, LeadAccess
from workspaces.delivery import outbound_event_redeliver, outbox_deliver
from workspaces.models import DeliveryStatus, OutboundEvent

pytestmark = pytest.mark.django_db


def buyer(url, price, priority):
    workspace, client = workspace_with_key(outbound_webhook_url=url, webhook_active=True)
    Offer.objects.create(workspace=workspace, products=["solar"], price=D(price), priority=priority)
    return workspace, client


@pytest.mark.parametrize("payout_on", ["accepted", "sold"])
def test_a_buyer_whose_delivery_finally_fails_loses_the_lead_which_is_sold_again(
        payout_on, django_capture_on_commit_callbacks):
    webhook = make_webhook(distribution_strategy="priority", payout_kind="fixed", payout_amount=D("4"),
                           payout_on=payout_on)
    with WebhookReceiver([400]) as failing, WebhookReceiver([200]) as working:
        first, first_client = buyer(failing.url, "25", priority=5)
        second, second_client = buyer(working.url, "20", priority=1)
        lead = make_lead(zip_code="94105", webhook_id=webhook.webhook_id)
        lead_distribute(lead=lead, webhook=webhook)
        assert Lead.objects.get(pk=lead.pk).workspace_id == first.pk
        event = OutboundEvent.objects.get(workspace=first, subject_id=str(lead.pk), event_type="lead.assigned")

        with django_capture_on_commit_callbacks(execute=True):
            assert outbox_deliver(event_id=event.pk).status == DeliveryStatus.FAILED

        lead.refresh_from_db()
        assert lead.workspace_id == second.pk and lead.excluded_buyers == [first.pk]
        assert first_client.get(f"/api/v1/leads/{lead.pk}/").status_code == 404
        assert second_client.get(f"/api/v1/leads/{lead.pk}/").status_code == 200
        assert not LeadAccess.objects.live().filter(lead=lead, workspace=first).exists()
        again = Decision.objects.filter(lead=lead).order_by("-created_at", "-id").first()
        assert again.result == DecisionResult.ASSIGNED and again.refused.get("excluded") == 1

        # No way back: the buyer points its webhook at a working URL and asks for the event again.
        type(first).objects.filter(pk=first.pk).update(outbound_webhook_url=working.url)
        answer = first_client.post("/api/v1/workspace/webhook/redeliver/", {"event_id": str(event.pk)}, format="json")
        assert answer.status_code == 404, answer.content
        event.refresh_from_db()
        with pytest.raises(Exception, match="withdrawn"):
            outbound_event_redeliver(event=event)  # ops cannot either
        assert first_client.post("/api/v1/workspace/webhook/redeliver/", {}, format="json").json()["queued"] == 0

    sale_undelivered(lead_id=lead.pk, workspace_id=first.pk)  # a second failure signal changes nothing
    money = sorted(Entry.objects.filter(lead_id=lead.pk).values_list("kind", "workspace_id", "amount"))
    assert money == sorted([
        (EntryKind.PAYOUT, "", D("4.00")), (EntryKind.SALE, first.pk, D("25.00")),
        (EntryKind.UNDELIVERED, first.pk, D("-25.00")), (EntryKind.SALE, second.pk, D("20.00")),
    ])
    assert ledger_verify() == []


def test_under_payout_on_sold_a_payout_whose_only_sale_failed_is_taken_back(django_capture_on_commit_callbacks):
    webhook = make_webhook(distribution_strategy="priority", payout_kind="fixed", payout_amount=D("4"),
                           payout_on="sold")
    with WebhookReceiver([400]) as failing:
        only, _client = buyer(failing.url, "25", priority=5)
        lead = make_lead(zip_code="94105", webhook_id=webhook.webhook_id)
        lead_distribute(lead=lead, webhook=webhook)
        event = OutboundEvent.objects.get(workspace=only, subject_id=str(lead.pk), event_type="lead.assigned")
        with django_capture_on_commit_callbacks(execute=True):
            outbox_deliver(event_id=event.pk)
    lead.refresh_from_db()
    assert lead.workspace_id is None  # offered again: nobody else buys it
    assert Decision.objects.filter(lead=lead).order_by("-created_at", "-id").first().result == DecisionResult.UNSOLD
    money = sorted(Entry.objects.filter(lead_id=lead.pk).values_list("kind", "amount"))
    assert money == sorted([(EntryKind.PAYOUT, D("4.00")), (EntryKind.SALE, D("25.00")),
                            (EntryKind.UNDELIVERED, D("-25.00")), (EntryKind.CHARGEBACK, D("-4.00"))])
    assert ledger_verify() == []
