"""What an approved return does: the buyer credited the sale's price and excluded from the lead
for good, the source's payout taken back when the webhook says so (under multisell only the
returned sale's part of a share; a fixed payout once no other sale remains), the lead offered to
other buyers when the webhook says so; reasons leadhub can verify approved without ops; the
buyer told each step; the ledger reconciled after all of it."""
from datetime import timedelta
from decimal import Decimal as D

import pytest
from django.core.management import call_command

from analytics.reconcile import ledger_reconcile
from distribution.models import Sale
from leadhub.testing import make_lead, make_webhook, make_workspace
from leads.compliance_record import lead_compliance_record
from leads.models import Lead, LeadAccess
from ledger.models import EntryKind
from returns.models import ReturnState
from returns.services import ReturnRefused, return_approve, return_reject, return_request
from workspaces.models import OutboundEvent

from .helpers import money, reason, sell

pytestmark = pytest.mark.django_db

SALE, PAYOUT, CREDIT, CHARGEBACK = EntryKind.SALE, EntryKind.PAYOUT, EntryKind.RETURN_CREDIT, EntryKind.CHARGEBACK
INVALID_PHONE = "+15555550123"  # the fictional 555 range: not a valid number for phonenumbers


def reconciled():
    assert ledger_reconcile().problems == []


def test_an_invalid_phone_is_approved_without_ops_a_valid_one_waits():
    reason("non_working_phone", "invalid_phone")
    webhook = make_webhook(distribution_strategy="priority")
    bad, [bad_sale] = sell(webhook=webhook, lead=make_lead(zip_code="94105", webhook_id=webhook.webhook_id,
                                                           phone=INVALID_PHONE))
    good, [good_sale] = sell(webhook=webhook, buyers=[bad_sale.workspace])
    approved = return_request(sale=bad_sale, reason="non_working_phone", note="rings out", by="workspace:b")
    assert (approved.state, approved.decided_by) == (ReturnState.APPROVED, "system")
    assert "not a valid" in approved.verified and "not a valid" in approved.decision_reason
    assert money(bad) == sorted([(CREDIT, bad_sale.workspace_id, D("-20.00")), (SALE, bad_sale.workspace_id, D("20.00"))])
    assert return_request(sale=good_sale, reason="non_working_phone", by="workspace:b").state == ReturnState.REQUESTED
    assert money(good) == [(SALE, good_sale.workspace_id, D("20.00"))]
    reconciled()


def test_a_duplicate_the_buyer_bought_within_its_window_is_approved_without_ops():
    reason("duplicate", "duplicate")
    buyer = make_workspace()
    _lead, [sale] = sell(buyers=[buyer], duplicate_days=30)
    # An earlier sale of the same phone to the same buyer (an earlier offer of it, with no window).
    Sale.objects.create(lead=make_lead(phone=sale.phone), workspace=buyer, price=0, phone=sale.phone,
                        sold_at=sale.sold_at - timedelta(days=3))
    assert return_request(sale=sale, reason="duplicate", by="workspace:b").state == ReturnState.APPROVED
    _lead, [unverified] = sell(buyers=[make_workspace()], duplicate_days=30)
    assert return_request(sale=unverified, reason="duplicate", by="workspace:b").state == ReturnState.REQUESTED
    reconciled()


@pytest.mark.parametrize("chargeback_on_return", [True, False])
def test_approval_credits_revokes_excludes_and_takes_the_fixed_payout_back_when_set(chargeback_on_return):
    reason()
    webhook = make_webhook(distribution_strategy="priority", payout_kind="fixed", payout_amount=D("4"),
                           chargeback_on_return=chargeback_on_return)
    lead, [sale] = sell(webhook=webhook, prices=("25",))
    ret = return_request(sale=sale, reason="other", note="never answered", by="workspace:b")
    assert ret.state == ReturnState.REQUESTED and money(lead)[-1] == (SALE, sale.workspace_id, D("25.00"))
    return_approve(ret=ret, by="staff:ops", reason="confirmed with the buyer")
    buyer = sale.workspace_id
    expected = [(CREDIT, buyer, D("-25.00")), (PAYOUT, "", D("4.00")), (SALE, buyer, D("25.00"))]
    if chargeback_on_return:
        expected.insert(0, (CHARGEBACK, "", D("-4.00")))
    assert money(lead) == sorted(expected)
    lead.refresh_from_db()
    assert lead.excluded_buyers == [buyer] and lead.workspace_id is None
    assert not LeadAccess.objects.live().filter(lead=lead, workspace_id=buyer).exists()
    with pytest.raises(ReturnRefused):
        return_approve(ret=ret, by="staff:ops")  # decided: an approval again books nothing
    assert len(money(lead)) == len(expected)
    call_command("verify_ledger")  # exits 1 on a problem
    reconciled()


def test_under_multisell_a_share_payout_is_taken_back_by_the_returned_sales_part():
    reason()
    webhook = make_webhook(distribution_strategy="multisell", payout_kind="share", payout_share=D("50"),
                           chargeback_on_return=True)
    lead, [first, second] = sell(webhook=webhook, prices=("20", "30"))
    assert (PAYOUT, "", D("25.00")) in money(lead)
    return_approve(ret=return_request(sale=first, reason="other", by="b"), by="staff:ops")
    assert [row for row in money(lead) if row[0] == CHARGEBACK] == [(CHARGEBACK, "", D("-10.00"))]
    assert Lead.objects.get(pk=lead.pk).excluded_buyers == [first.workspace_id]
    reconciled()
    return_approve(ret=return_request(sale=second, reason="other", by="b"), by="staff:ops")
    assert sorted(row for row in money(lead) if row[0] == CHARGEBACK) == [
        (CHARGEBACK, "", D("-15.00")), (CHARGEBACK, "", D("-10.00"))]
    reconciled()


def test_under_multisell_a_fixed_payout_stays_while_another_sale_remains():
    reason()
    webhook = make_webhook(distribution_strategy="multisell", payout_kind="fixed", payout_amount=D("4"),
                           chargeback_on_return=True)
    lead, [first, second] = sell(webhook=webhook, prices=("20", "30"))
    return_approve(ret=return_request(sale=first, reason="other", by="b"), by="staff:ops")
    assert not [row for row in money(lead) if row[0] == CHARGEBACK]
    return_approve(ret=return_request(sale=second, reason="other", by="b"), by="staff:ops")
    assert [row for row in money(lead) if row[0] == CHARGEBACK] == [(CHARGEBACK, "", D("-4.00"))]
    reconciled()


def test_a_returned_lead_is_sold_again_to_another_buyer_never_to_the_one_that_returned_it(
        django_capture_on_commit_callbacks):
    reason()
    webhook = make_webhook(distribution_strategy="priority", payout_kind="fixed", payout_amount=D("4"),
                           resell_returned=True, chargeback_on_return=True)
    returning, other = make_workspace(), make_workspace()
    lead, [sale] = sell(webhook=webhook, buyers=[returning, other], prices=("25", "20"))
    assert sale.workspace_id == returning.pk
    ret = return_request(sale=sale, reason="other", by="b")
    with django_capture_on_commit_callbacks(execute=True):
        return_approve(ret=ret, by="staff:ops")
    lead.refresh_from_db()
    assert lead.workspace_id == other.pk and lead.excluded_buyers == [returning.pk]
    assert money(lead) == sorted([(CREDIT, returning.pk, D("-25.00")), (PAYOUT, "", D("4.00")),
                                  (SALE, returning.pk, D("25.00")), (SALE, other.pk, D("20.00"))])  # sold: no chargeback
    reconciled()


def test_without_resell_returned_the_lead_stays_unsold(django_capture_on_commit_callbacks):
    reason()
    returning, other = make_workspace(), make_workspace()
    lead, [sale] = sell(buyers=[returning, other], prices=("25", "20"))
    with django_capture_on_commit_callbacks(execute=True):
        return_approve(ret=return_request(sale=sale, reason="other", by="b"), by="staff:ops")
    assert Lead.objects.get(pk=lead.pk).workspace_id is None


def test_the_buyer_is_told_each_step_and_a_rejection_needs_a_reason():
    reason()
    buyer = make_workspace(outbound_webhook_url="https://buyer.example/hook", webhook_active=True)
    approved_lead, [approved] = sell(buyers=[buyer])
    rejected_lead, [rejected] = sell(buyers=[buyer])
    return_approve(ret=return_request(sale=approved, reason="other", by="b"), by="staff:ops")
    ret = return_request(sale=rejected, reason="other", by="b")
    with pytest.raises(Exception, match="Say why"):
        return_reject(ret=ret, by="staff:ops", reason=" ")
    return_reject(ret=ret, by="staff:ops", reason="the phone answers")

    def told(lead):
        return list(OutboundEvent.objects.filter(workspace=buyer, subject_id=str(lead.pk),
                                                 event_type__startswith="lead.return").order_by("created_at")
                    .values_list("event_type", "data__state"))

    assert told(approved_lead) == [("lead.return_requested", "requested"), ("lead.return_approved", "approved")]
    assert told(rejected_lead) == [("lead.return_requested", "requested"), ("lead.return_rejected", "rejected")]
    assert OutboundEvent.objects.get(workspace=buyer, event_type="lead.return_rejected").data["decision_reason"] \
        == "the phone answers"
    assert money(rejected_lead) == [(SALE, buyer.pk, D("20.00"))]


def test_an_unknown_reason_is_refused_naming_the_field():
    reason()
    _lead, [sale] = sell()
    with pytest.raises(Exception) as caught:
        return_request(sale=sale, reason="bored", by="b")
    assert caught.value.errors["reason"][0].startswith("'bored' is not a return reason")


def test_the_seeded_reasons_and_which_leadhub_verifies():
    from importlib import import_module

    from django.apps import apps

    from returns.models import ReturnReason

    import_module("returns.migrations.0002_seed_reasons").seed(apps, None)
    assert dict(ReturnReason.objects.values_list("code", "auto_approve")) == {
        "non_working_phone": "invalid_phone", "wrong_number": "", "duplicate": "duplicate", "not_interested": "",
        "out_of_area": "", "fraud": "", "other": ""}


def test_verify_ledger_names_an_approved_return_without_its_credit_and_a_credit_without_its_return():
    from returns.models import Return

    reason()
    lead, [sale] = sell()
    ret = return_request(sale=sale, reason="other", by="b")
    Return.objects.filter(pk=ret.pk).update(state=ReturnState.APPROVED)  # approved by no service: no money
    assert ledger_reconcile().problems == [f"sale #{sale.pk} (lead {lead.pk}, buyer {sale.workspace_id}, 20.00): "
                                           f"its return was approved, but no credit return:{sale.pk}"]
    Return.objects.filter(pk=ret.pk).update(state=ReturnState.REQUESTED)
    return_approve(ret=ret, by="staff:ops")
    reconciled()
    Return.objects.filter(pk=ret.pk).update(state=ReturnState.REJECTED)
    assert any("has no approved return" in problem for problem in ledger_reconcile().problems)


def test_the_compliance_record_lists_the_return_and_its_credit():
    reason()
    lead, [sale] = sell()
    return_approve(ret=return_request(sale=sale, reason="other", note="no answer", by="buyer"), by="ops",
                   reason="checked")
    [section] = [s for s in lead_compliance_record(lead=lead, workspace=None)["sections"] if s["key"] == "returns"]
    [entry] = section["entries"]
    assert (entry["reason"], entry["state"], entry["credit"], entry["decided_by"]) == (
        "other", "approved", "-20.00", "ops")
