"""Buyers' balances: deposits raise them and are no sales; the balance row moves with the
buyer-side entries once (a retried writer moves nothing); `workspace.balance_low` once per
crossing of the threshold; verify_ledger checks every balance row against its entries."""
from decimal import Decimal

import pytest

from distribution.models import Offer
from distribution.services import lead_distribute
from leadhub.testing import make_lead, make_workspace
from ledger.models import Balance, EntryKind
from ledger.selectors import balance_get, ledger_figures, ledger_totals
from ledger.services import Draft, LedgerInvalid, DepositRefused, deposit_record, ledger_entries_record
from ledger.verify import ledger_verify
from leadhub.testing.api import workspace_with_key
from workspaces.models import EventType, OutboundEvent, Scope

pytestmark = pytest.mark.django_db
D = Decimal


def sale(buyer, amount, reference=""):
    return ledger_entries_record(drafts=[Draft(kind=EntryKind.SALE, amount=D(amount), workspace_id=buyer.pk,
                                               reference=reference)])


def low_events(buyer):
    return [data["balance"] for data in OutboundEvent.objects.filter(
        workspace=buyer, event_type=EventType.WORKSPACE_BALANCE_LOW).order_by("created_at", "id").values_list("data", flat=True)]


def test_a_deposit_raises_the_balance_once_and_is_no_sale():
    buyer = make_workspace()
    entry = deposit_record(workspace=buyer, amount="100", reference="wire 77", by="staff:ops")
    sale(buyer, "30.00", reference="sale:1")
    sale(buyer, "30.00", reference="sale:1")  # a retried writer: booked once, moved once

    assert (entry.kind, entry.amount, entry.note) == (EntryKind.DEPOSIT, D("-100.00"), "wire 77 (recorded by staff:ops)")
    assert balance_get(workspace=buyer)["balance"] == D("70.00")
    assert ledger_figures(by="buyer")[buyer.pk]["sales"] == D("30.00")
    assert ledger_totals()["margin"] == D("30.00")
    with pytest.raises(DepositRefused):
        deposit_record(workspace=buyer, amount="100", reference="wire 77", by="staff:ops")
    for amount, reference, field in (("0", "x", "amount"), ("-5", "x", "amount"), ("5", " ", "reference")):
        with pytest.raises(LedgerInvalid) as refused:
            deposit_record(workspace=buyer, amount=amount, reference=reference, by="staff:ops")
        assert list(refused.value.errors) == [field]
    assert balance_get(workspace=buyer)["balance"] == D("70.00")
    assert ledger_verify() == []


def test_balance_low_is_sent_once_per_crossing_and_again_after_a_deposit_lifts_it():
    buyer = make_workspace(outbound_webhook_url="https://buyer.example.com/hook", webhook_active=True,
                           low_balance_threshold=D("20.00"))
    deposit_record(workspace=buyer, amount="50", reference="w1", by="staff:ops")
    for _ in range(3):
        sale(buyer, "10.00")  # 40, 30, 20: not below
    assert low_events(buyer) == []
    sale(buyer, "10.00")  # 10: crossed
    sale(buyer, "10.00")  # 0: still below, no second event
    assert low_events(buyer) == ["10.00"]
    deposit_record(workspace=buyer, amount="30", reference="w2", by="staff:ops")  # 30: above again
    sale(buyer, "15.00")  # 15: crossed again
    assert low_events(buyer) == ["10.00", "15.00"]


def test_the_event_is_listed_to_a_key_that_reads_billing():
    buyer, client = workspace_with_key(outbound_webhook_url="https://buyer.example.com/hook", webhook_active=True,
                                       low_balance_threshold=D("1.00"))
    other, without = workspace_with_key(scopes=[Scope.LEADS_READ], outbound_webhook_url="https://o.example.com/hook",
                                        webhook_active=True, low_balance_threshold=D("1.00"))
    for workspace in (buyer, other):
        deposit_record(workspace=workspace, amount="5", reference="w1", by="staff:ops")
        sale(workspace, "5.00")  # 5 → 0: below 1

    listed = client.get("/api/v1/workspace/events/").json()["results"]
    assert [event["type"] for event in listed] == ["workspace.balance_low"]
    assert len(low_events(other)) == 1
    assert without.get("/api/v1/workspace/events/").json()["results"] == []  # no `billing:read`


def test_a_prepaid_sale_crossing_the_threshold_tells_the_buyer():
    buyer = make_workspace(billing_mode="prepaid", outbound_webhook_url="https://buyer.example.com/hook",
                           webhook_active=True, low_balance_threshold=D("15.00"))
    deposit_record(workspace=buyer, amount="30", reference="w1", by="staff:ops")
    Offer.objects.create(workspace=buyer, products=["solar"], price=D("10.00"))

    for _ in range(2):
        lead_distribute(lead=make_lead(zip_code="94105"), strategy="priority")

    assert low_events(buyer) == ["10.00"]


def test_verify_ledger_names_a_balance_row_that_does_not_match_its_entries():
    buyer, other = make_workspace(), make_workspace()
    deposit_record(workspace=buyer, amount="40", reference="w1", by="staff:ops")
    sale(other, "5.00")
    assert ledger_verify() == []

    Balance.objects.filter(workspace_id=buyer.pk).update(owed=D("-39.00"))
    Balance.objects.filter(workspace_id=other.pk).delete()

    assert ledger_verify() == [f"balance {buyer.pk}: -39.00 != sum of entries -40.00",
                               f"balance {other.pk}: no balance row, sum of entries 5.00"]
