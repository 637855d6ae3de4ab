"""Prepaid buyers buy only with available funds (balance + credit limit): the `funds` verdict as
read by the engine, with its figures in the decision, and decided for good by the caps claim
statement, which moves every buyer's balance row by its sale once."""
from decimal import Decimal

import pytest

from distribution.admin import candidate_verdicts
from distribution.caps import caps_claim
from distribution.hand import lead_sell_by_hand
from distribution.models import Cap, CapUsage, DecisionResult, Offer, Sale
from distribution.selling import FundsShort
from distribution.services import lead_distribute
from leadhub.testing import make_lead, make_workspace
from ledger.models import Balance
from ledger.selectors import balance_get
from ledger.services import deposit_record
from ledger.verify import ledger_verify

pytestmark = pytest.mark.django_db
D = Decimal


def prepaid(deposit=None, **fields):
    buyer = make_workspace(billing_mode="prepaid", **fields)
    if deposit:
        deposit_record(workspace=buyer, amount=deposit, reference="wire-1", by="staff:ops")
    return buyer


def offer(buyer, price, priority=5):
    return Offer.objects.create(workspace=buyer, products=["solar"], price=D(price), priority=priority)


def distribute():
    return lead_distribute(lead=make_lead(zip_code="94105"), strategy="priority")


def test_a_prepaid_buyer_short_of_funds_is_refused_with_the_figures_and_the_lead_goes_on():
    short = offer(prepaid(deposit="5.00"), "10.00")
    fallback = offer(make_workspace(), "3.00", priority=1)

    decision = distribute()

    assert decision.workspace_ids == [fallback.workspace_id]
    assert decision.refused == {"funds": 1}
    row = next(row for row in decision.candidates if row["offer_id"] == short.pk)
    assert (row["verdict"], row["available"], row["price"]) == ("funds", "5.00", "10.00")
    words = dict((r["offer_id"], w) for r, w in candidate_verdicts(decision))[short.pk]
    assert "available 5.00, price 10.00" in words
    assert balance_get(workspace=fallback.workspace)["balance"] == D("-3.00")  # an invoiced buyer owes its sale


def test_a_credit_limit_lets_the_balance_go_negative_exactly_to_the_limit():
    buyer = prepaid(credit_limit=D("25.00"))
    offer(buyer, "12.50")
    Cap.objects.create(workspace=buyer, window="day", maximum=10)  # claimed with the funds

    results = [distribute().result for _ in range(3)]

    assert results == [DecisionResult.ASSIGNED, DecisionResult.ASSIGNED, DecisionResult.UNSOLD]
    figures = balance_get(workspace=buyer)
    assert (figures["balance"], figures["available"]) == (D("-25.00"), D("0.00"))
    assert Balance.objects.get(workspace_id=buyer.pk).owed == D("25.00")  # moved once per sale, not twice
    assert CapUsage.objects.get().used == 2
    assert ledger_verify() == []


def test_the_claim_decides_for_good_whatever_was_read():
    buyer, invoiced = prepaid(deposit="10.00", credit_limit=D("5.00")), make_workspace()

    assert not caps_claim([], funds=[(buyer.pk, D("15.00")), (invoiced.pk, D("1000.00"))])  # exactly to the limit
    assert caps_claim([], funds=[(buyer.pk, D("0.01"))]).buyers == {buyer.pk}
    assert caps_claim([], funds=[(invoiced.pk, D("1000.00"))]).buyers == set()  # an invoiced buyer always buys


def test_a_hand_sale_to_a_prepaid_buyer_short_of_funds_is_refused():
    buyer = prepaid(deposit="5.00")
    lead = make_lead(zip_code="94105")

    with pytest.raises(FundsShort):
        lead_sell_by_hand(lead=lead, workspace=buyer, price="10.00", by="staff:ops")

    assert not Sale.objects.filter(lead=lead).exists()
    assert balance_get(workspace=buyer)["balance"] == D("5.00")
