"""Ledger invariants under random sales and credits, concurrently on PostgreSQL: every figure
verify_ledger checks equals the sum of its entries, sales equal the sale rows less the credits,
and a capped buyer's sales never pass its spend cap."""
from decimal import Decimal

import pytest
from django.core.management import call_command
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from distribution.models import Cap, Offer, Sale
from distribution.services import lead_distribute, sale_undelivered
from leadhub.testing import make_lead, make_webhook, make_workspace, run_at_once
from ledger.models import EntryKind
from ledger.selectors import ledger_figures
from ledger.services import Draft, ledger_entries_record
from ledger.verify import ledger_verify

prices = st.decimals(min_value=Decimal("0"), max_value=Decimal("500"), places=2)


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
@settings(max_examples=5, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(
    offer_prices=st.lists(prices, min_size=2, max_size=4),
    share=st.decimals(min_value=Decimal("0"), max_value=Decimal("100"), places=2),
    credits=st.lists(st.booleans(), min_size=12, max_size=12),
    adjustments=st.lists(st.decimals(min_value=Decimal("-50"), max_value=Decimal("50"), places=2), max_size=4),
    cap=prices,
)
def test_random_concurrent_sales_and_credits_keep_every_figure_equal_to_its_entries(
    offer_prices, share, credits, adjustments, cap
):
    webhook = make_webhook(distribution_strategy="multisell", multisell_buyers=2, payout_kind="share",
                           payout_share=share)
    offers = [Offer.objects.create(workspace=make_workspace(), products=["solar"], price=price)
              for price in offer_prices]
    capped = offers[0].workspace
    Cap.objects.create(workspace=capped, window="day", measure="spend", maximum=cap)
    leads = [make_lead(zip_code="94105", webhook_id=webhook.webhook_id) for _ in credits]

    def work(i):
        lead_distribute(lead=leads[i], webhook=webhook)
        if credits[i]:  # every buyer of the lead fails; the lead may then sell again, to others
            for sale in list(Sale.objects.filter(lead=leads[i])):
                sale_undelivered(lead_id=leads[i].pk, workspace_id=sale.workspace_id)
        if i < len(adjustments):
            ledger_entries_record(drafts=[Draft(kind=EntryKind.ADJUSTMENT, side="buyer", amount=adjustments[i],
                                                workspace_id=offers[-1].workspace_id, note="random")])

    _, errors = run_at_once(len(leads), work)
    assert errors == []
    assert ledger_verify() == []
    call_command("verify_ledger")
    buyers = ledger_figures(by="buyer")
    for offer in offers:
        sales = Sale.objects.filter(workspace=offer.workspace_id, lead__in=leads).select_related("lead")
        sold = sum((s.price for s in sales), Decimal("0"))
        credited = sum((s.price for s in sales if s.workspace_id in s.lead.excluded_buyers), Decimal("0"))
        adjusted = sum(adjustments, Decimal("0")) if offer is offers[-1] else Decimal("0")
        got = buyers.get(offer.workspace_id, {"sales": Decimal("0")})["sales"]
        assert got == sold - credited + adjusted
    assert sum((s.price for s in Sale.objects.filter(workspace=capped)), Decimal("0")) <= cap
