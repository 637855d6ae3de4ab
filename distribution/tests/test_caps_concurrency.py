"""Caps hold exactly under real concurrent connections on PostgreSQL: 50 leads at once against a
daily cap of 10 sell exactly 10 to the capped offer and send the rest down the strategy (by
count, by spend, and for a buyer-level cap shared by two offers); so do a prepaid buyer's funds,
claimed in the same statement."""
from collections import Counter
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import call_command

from distribution.models import Cap, CapUsage, Decision, DecisionResult, Offer, Sale
from distribution.services import lead_distribute
from leadhub.testing import make_lead, make_workspace, run_at_once
from ledger.models import Balance, Entry
from ledger.services import deposit_record
from ledger.verify import ledger_verify

pytestmark = [pytest.mark.postgres_only, pytest.mark.django_db(transaction=True)]


def fifty_at_once():
    leads = [make_lead(zip_code="94105") for _ in range(50)]
    decisions, errors = run_at_once(50, lambda i: lead_distribute(lead=leads[i], strategy="priority"))
    assert errors == []
    assert all(d.result == DecisionResult.ASSIGNED for d in decisions), Counter(d.result for d in decisions)
    return Counter(d.offer_ids[0] for d in decisions)


def offer(workspace=None, **fields):
    return Offer.objects.create(workspace=workspace or make_workspace(), products=["solar"], **fields)


@pytest.mark.parametrize("measure, maximum", [("count", Decimal("10")), ("spend", Decimal("250"))])
def test_fifty_concurrent_leads_against_a_daily_cap_of_ten_sell_exactly_ten(measure, maximum):
    capped, fallback = offer(priority=5, price=Decimal("25")), offer(priority=1, price=Decimal("5"))
    Cap.objects.create(workspace=capped.workspace, offer=capped, window="day", measure=measure, maximum=maximum)
    assert fifty_at_once() == {capped.pk: 10, fallback.pk: 40}
    assert CapUsage.objects.get().used == maximum
    assert Sale.objects.filter(offer=capped).count() == 10
    assert Entry.objects.filter(kind="sale", workspace_id=capped.workspace_id).count() == 10
    assert ledger_verify() == []
    call_command("verify_ledger", stdout=(out := StringIO()))  # each of the 50 sales has its entry, and back
    assert out.getvalue() == "OK: 50 entries, 50 sales\n"


def test_a_buyer_cap_shared_by_two_offers_holds_under_fifty_concurrent_leads():
    buyer = make_workspace()
    first, second = offer(buyer, priority=5), offer(buyer, priority=5)
    fallback = offer(priority=1)
    Cap.objects.create(workspace=buyer, window="day", maximum=10)
    sold = fifty_at_once()
    assert sold[first.pk] + sold[second.pk] == 10 and sold[fallback.pk] == 40
    refused = Counter()
    for decision in Decision.objects.all():
        refused.update(decision.refused)
    assert set(refused) <= {"cap:buyer:day"}
    call_command("verify_ledger", stdout=(out := StringIO()))
    assert out.getvalue() == "OK: 0 entries, 50 sales\n"  # $0 offers: a sale row each, no money moved


def test_fifty_concurrent_leads_against_100_dollars_of_funds_at_10_sell_exactly_10():
    buyer = make_workspace(billing_mode="prepaid")
    deposit_record(workspace=buyer, amount="100.00", reference="wire-1", by="staff:ops")
    prepaid, fallback = offer(buyer, priority=5, price=Decimal("10")), offer(priority=1, price=Decimal("1"))
    Cap.objects.create(workspace=buyer, offer=prepaid, window="day", maximum=1000)  # funds and caps in one statement
    assert fifty_at_once() == {prepaid.pk: 10, fallback.pk: 40}
    assert Balance.objects.get(workspace_id=buyer.pk).owed == Decimal("0.00")  # $100 paid in, $100 bought
    refused = Counter()
    for decision in Decision.objects.all():
        refused.update(decision.refused)
    assert set(refused) == {"funds"}
    assert ledger_verify() == []
    call_command("verify_ledger", stdout=(out := StringIO()))
    assert out.getvalue() == "OK: 51 entries, 50 sales\n"
