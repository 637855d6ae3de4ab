"""Query-count baselines of the distribution path: the same at a few offers and at many, and
not growing with the rules (filters, price adjustments, caps) the offers carry."""
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from distribution.engine import decide
from distribution.models import Cap, Offer, OfferFilter, OfferPriceAdjustment
from distribution.services import lead_distribute
from leadhub.testing import make_lead, make_workspace

pytestmark = pytest.mark.django_db

POSTGRES_LOCK_TIMEOUT = 1 if connection.vendor == "postgresql" else 0  # SET LOCAL lock_timeout


def offers(count, **fields):
    return [Offer.objects.create(workspace=make_workspace(), products=["solar"], zip_codes=["94105"], **fields)
            for _ in range(count)]


def with_rules(made):
    for offer in made:
        OfferFilter.objects.create(offer=offer, column="monthly_electric_bill", op="gte", value="100")
        OfferPriceAdjustment.objects.create(offer=offer, column="property_type", op="eq", value="condo",
                                            amount=Decimal("5"))
        Cap.objects.create(workspace=offer.workspace, offer=offer, window="day", maximum=1000)
        Cap.objects.create(workspace=offer.workspace, window="month", measure="spend", maximum=100000)


def decide_queries(lead):
    with CaptureQueriesContext(connection) as captured:
        decide(kind="lead", subject=lead, zip_code=lead.zip_code, state=lead.state, product=lead.lead_type,
               strategy="priority", key="test")
    return len(captured)


def distribute_queries(lead, strategy="priority"):
    with CaptureQueriesContext(connection) as captured:
        decision = lead_distribute(lead=lead, strategy=strategy)
    assert decision.workspace_ids, decision.refused
    return len(captured)


def lead():
    return make_lead(zip_code="94105", monthly_electric_bill=150)


def test_a_decision_is_one_query_at_any_size_and_one_more_for_caps():
    offers(2)
    few = decide_queries(lead())
    offers(25)
    assert decide_queries(lead()) == few == 1
    with_rules(Offer.objects.all())  # filters and price adjustments come with the offers; caps' usage is one read
    assert decide_queries(lead()) == 2


def test_a_distributed_lead_costs_the_same_at_a_few_offers_and_at_many():
    offers(2)
    few = distribute_queries(lead())
    offers(25)
    assert distribute_queries(lead()) == few <= 16 + POSTGRES_LOCK_TIMEOUT  # savepoints of the test transaction count


def test_selling_with_rules_and_caps_costs_the_same_at_a_few_offers_and_at_many():
    """Queries grow with the buyers a lead is sold to (each gets its access record and event), never
    with the offers: three buyers at 3 offers and at 28."""
    with_rules(offers(3, price=Decimal("20"), duplicate_days=30))
    few = distribute_queries(lead(), "multisell")
    with_rules(offers(25, price=Decimal("20"), duplicate_days=30))
    assert distribute_queries(lead(), "multisell") == few <= 27 + POSTGRES_LOCK_TIMEOUT
