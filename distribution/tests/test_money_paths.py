"""Every way of selling books its money the same way, checked entry by entry against the sale rows:
distribution, an appointment, hand work, a failed delivery (credited, sold again), the release of
a held lead. A path that books a sale without its entry, an entry without its sale, a second
payout or a credit for a delivery that did not fail shows up here."""
from collections import Counter
from decimal import Decimal as D

import pytest

from appointments.services.intake import appointment_intake
from distribution.hand import lead_sell_by_hand
from distribution.models import Offer, Sale
from distribution.services import lead_distribute
from leadhub.testing import WebhookReceiver, make_contact, make_lead, make_lead_offer, make_webhook, make_workspace
from ledger.models import Entry, EntryKind
from ledger.verify import ledger_verify
from leads.holds import lead_hold_release
from workspaces.delivery import outbox_deliver
from workspaces.models import OutboundEvent

# Appointments are posted at fixed times: the clock stands before them (past times are refused).
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("appointment_clock")]


def test_the_money_of_every_path_matches_the_sale_rows_entry_by_entry(django_capture_on_commit_callbacks):
    webhook = make_webhook(distribution_strategy="priority", payout_kind="fixed", payout_amount=D("4"),
                           payout_on="sold")
    with WebhookReceiver([400, 400, 400, 400, 400, 400]) as failing:
        failing_buyer = make_workspace(outbound_webhook_url=failing.url, webhook_active=True)
        make_lead_offer(failing_buyer, products=["solar"], price="25", priority=9)
        buyer = make_workspace()
        make_lead_offer(buyer, products=["solar"], price="20", priority=1)
        Offer.objects.create(workspace=buyer, kind="appointment", products=["solar"], appointment_price=D("60"))
        hand_buyer = make_workspace()

        distributed = make_lead(zip_code="94105", webhook_id=webhook.webhook_id)
        lead_distribute(lead=distributed, webhook=webhook)  # 1. distribution: to the failing buyer at 25
        event = OutboundEvent.objects.get(workspace=failing_buyer, event_type="lead.assigned")
        with django_capture_on_commit_callbacks(execute=True):
            outbox_deliver(event_id=event.pk)  # 2. its delivery finally fails: credited, sold again at 20
        held = make_lead(make_contact(webhook_id=webhook.webhook_id), zip_code="94105",
                         webhook_id=webhook.webhook_id, held_for_consent=True)
        lead_distribute(lead=held, webhook=webhook)  # held: nothing sold, nothing paid
        assert not Sale.objects.filter(lead=held).exists()
        Offer.objects.filter(workspace=failing_buyer).update(is_active=False)
        lead_hold_release(lead=held, reason="consent", by="ops:test", note="Consent on the call.")  # 3. release
        appointment = appointment_intake(webhook=webhook, payload={  # 4. an appointment, its payout on sale
            "customer_name": "Grace Hopper", "customer_phone": "(415) 234-5600", "customer_zip": "94105",
            "service_type": "solar", "scheduled_at": "2026-12-01T15:00:00Z",
        }).appointment
        by_hand = make_lead(zip_code="94105", webhook_id=webhook.webhook_id)
        lead_sell_by_hand(lead=by_hand, workspace=hand_buyer, by="staff:ops", price="33")  # 5. hand work

    sales = list(Sale.objects.order_by("pk"))
    assert [(s.lead_id, s.appointment_id, s.workspace_id, s.price) for s in sales] == [
        (distributed.pk, None, failing_buyer.pk, D("25.00")),
        (distributed.pk, None, buyer.pk, D("20.00")),
        (held.pk, None, buyer.pk, D("20.00")),
        (None, appointment.pk, buyer.pk, D("60.00")),
        (by_hand.pk, None, hand_buyer.pk, D("33.00")),
    ]
    entries = {(e.kind, e.reference): e for e in Entry.objects.all()}
    assert len(entries) == Entry.objects.count()  # one entry per (kind, reference)
    for sale in sales:  # each sale row has its one `sale` entry, and nothing else is a sale
        entry = entries[EntryKind.SALE, f"sale:{sale.pk}"]
        assert (entry.amount, entry.workspace_id, entry.offer_id, entry.lead_id) == (
            sale.price, sale.workspace_id, sale.offer_id, sale.lead_id)
    assert Counter(kind for kind, _ in entries) == {
        EntryKind.SALE: 5, EntryKind.PAYOUT: 4, EntryKind.UNDELIVERED: 1,
    }
    credit = entries[EntryKind.UNDELIVERED, f"undelivered:{sales[0].pk}"]
    assert (credit.amount, credit.workspace_id) == (D("-25.00"), failing_buyer.pk)
    payouts = {reference: (entry.amount, entry.webhook_id) for (kind, reference), entry in entries.items()
               if kind == EntryKind.PAYOUT}
    assert payouts == {
        f"payout:{distributed.pk}": (D("4.00"), webhook.webhook_id),
        f"payout:{held.pk}": (D("4.00"), webhook.webhook_id),
        f"payout:appointment:{appointment.pk}": (D("4.00"), webhook.webhook_id),
        f"payout:{by_hand.pk}": (D("4.00"), webhook.webhook_id),
    }
    assert ledger_verify() == []
