"""Builders of the returns tests: a lead sold by real distribution, and its buyer's return."""
from decimal import Decimal as D

from distribution.models import Offer, Sale
from distribution.services import lead_distribute
from leadhub.testing import make_lead, make_lead_offer, make_webhook, make_workspace
from returns.models import ReturnReason


def reason(code="other", auto_approve=""):
    """A seeded reason (a transactional test's flush empties the table the migration filled)."""
    return ReturnReason.objects.get_or_create(code=code, defaults={"label": code, "auto_approve": auto_approve})[0]


def sell(*, webhook=None, buyers=None, prices=("20",), at=None, lead=None, **offer_fields):
    """Sell one lead through distribution to `buyers` (new ones if not given), each by an offer at
    its price (the first ranks highest; a buyer's offer for the webhook made once); returns (lead,
    its sales in the buyers' order)."""
    webhook = webhook or make_webhook(distribution_strategy="priority")
    buyers = buyers or [make_workspace() for _ in prices]
    for rank, (buyer, price) in enumerate(zip(buyers, prices, strict=True)):
        if not Offer.objects.filter(workspace=buyer, filters__value=webhook.webhook_id).exists():
                make_lead_offer(buyer, zip_codes=["94105"], price=price, webhook=webhook, priority=10 - rank,
                            **offer_fields)
    lead = lead or make_lead(zip_code="94105", webhook_id=webhook.webhook_id)
    lead_distribute(lead=lead, webhook=webhook, at=at)
    sales = {sale.workspace_id: sale for sale in Sale.objects.filter(lead=lead).select_related("offer", "workspace")}
    return lead, [sales[buyer.pk] for buyer in buyers if buyer.pk in sales]


def money(lead):
    from ledger.models import Entry

    return sorted((kind, workspace or "", D(amount)) for kind, workspace, amount in
                  Entry.objects.filter(lead_id=lead.pk).values_list("kind", "workspace_id", "amount"))
