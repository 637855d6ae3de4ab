"""A duplicate rule's `accept_no_payout` (leads.intake_duplicates): the lead is accepted and sold
as usual, and its source is not paid for it, by whichever sale path and whenever its payout
would be due (a source is not paid twice for one person)."""
from decimal import Decimal as D

import pytest

from distribution.hand import lead_sell_by_hand
from leadhub.testing import make_lead_offer, make_webhook, make_workspace, valid_phone
from ledger.models import Entry, EntryKind
from leads.models import DuplicateRule
from leads.services.ingest import lead_ingest

pytestmark = pytest.mark.django_db


def post(webhook, phone):
    return lead_ingest(webhook=webhook, payload={
        "first_name": "Ada", "last_name": "Lovelace", "email": "ada@example.com", "phone": phone, "zip_code": "94105",
        "consent_value": True, "tcpa_compliance": True})


@pytest.mark.parametrize("payout_on", ["accepted", "sold"])
def test_a_duplicate_accepted_without_payout_is_sold_and_its_source_is_not_paid(payout_on):
    webhook = make_webhook(distribution_strategy="priority", payout_kind="fixed", payout_amount=D("4"),
                           payout_on=payout_on)
    DuplicateRule.objects.create(webhook=webhook, keys="phone", action="accept_no_payout", window_seconds=86400)
    make_lead_offer(make_workspace(), zip_codes=["941*"], products=["solar"], price="25")
    phone = valid_phone()

    first, second = post(webhook, phone), post(webhook, phone)

    assert (first.sold, first.price, first.duplicate_of) == (True, D("4.00"), None)
    assert (second.sold, second.price) == (True, D("0.00"))
    assert second.duplicate_of["action"] == "accept_no_payout"
    assert "Duplicate of an earlier lead" in second.lead.payout_withheld
    assert list(Entry.objects.filter(lead_id=second.lead.pk).values_list("kind", "amount")) == [
        (EntryKind.SALE, D("25.00"))]
    assert Entry.objects.filter(lead_id=first.lead.pk, kind=EntryKind.PAYOUT).count() == 1


def test_a_hand_sale_of_such_a_lead_pays_its_source_nothing_either():
    webhook = make_webhook(payout_kind="fixed", payout_amount=D("6"), payout_on="sold")
    DuplicateRule.objects.create(webhook=webhook, keys="phone", action="accept_no_payout", window_seconds=86400)
    phone = valid_phone()
    post(webhook, phone)
    lead = post(webhook, phone).lead

    lead_sell_by_hand(lead=lead, workspace=make_workspace(), price=D("30"), by="staff:ops", reason="called in")

    assert list(Entry.objects.filter(lead_id=lead.pk).values_list("kind", flat=True)) == [EntryKind.SALE]
