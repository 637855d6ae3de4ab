"""Query-count baselines of the distribution path (distribution/tests/query_counts.json): the same
at a few offers and at many, and not growing with the rules (filters, price adjustments, caps)
the offers carry."""
from decimal import Decimal

import pytest
from django.db import connection

from distribution.engine import decide
from distribution.models import Cap, Offer, OfferFilter, OfferPriceAdjustment
from distribution.services import lead_distribute
from leadhub.testing import make_lead, make_workspace
from leadhub.testing.query_counts import baseline_file, read

pytestmark = pytest.mark.django_db


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


def decide_costs(query_baseline, name):
    lead = make_lead(zip_code="94105", monthly_electric_bill=150)
    with query_baseline(name):
        decide_for(lead)


def decide_for(lead):
    return decide(kind="lead", subject=lead, zip_code=lead.zip_code, state=lead.state, product=lead.lead_type,
                  strategy="priority", key="test")


def distribute_costs(query_baseline, name, strategy="priority", **counting):
    lead = make_lead(zip_code="94105", monthly_electric_bill=150)
    with query_baseline(name, **counting):
        decision = lead_distribute(lead=lead, strategy=strategy)
    assert decision.workspace_ids, decision.refused


def test_a_decision_costs_the_same_at_any_size_and_one_query_more_for_caps(query_baseline):
    offers(2)
    decide_costs(query_baseline, "decide")
    offers(25)
    decide_costs(query_baseline, "decide")
    with_rules(Offer.objects.all())  # filters and price adjustments come with the offers; caps' usage is one read
    decide_costs(query_baseline, "decide-with-caps")


def test_a_distributed_lead_costs_the_same_at_a_few_offers_and_at_many(query_baseline):
    offers(2)
    distribute_costs(query_baseline, "distribute-plain")
    offers(25)
    distribute_costs(query_baseline, "distribute-plain")


@pytest.mark.postgres_only
def test_the_prepared_candidate_query_costs_the_baseline_too(query_baseline):
    """With no query log (as in production) the candidate query runs prepared on psycopg's own
    cursor, which the logged runs above never take: counted by an execute wrapper instead."""
    def candidate_query_runs():
        with connection.cursor() as cursor:
            cursor.execute("SELECT coalesce(sum(generic_plans + custom_plans), 0) FROM pg_prepared_statements "
                           "WHERE statement LIKE %s", [f"%{OfferFilter._meta.db_table}%"])
            return cursor.fetchone()[0]

    offers(3)
    before = candidate_query_runs()
    distribute_costs(query_baseline, "distribute-plain", logged=False)
    assert candidate_query_runs() == before + 1


def test_selling_with_rules_and_caps_costs_the_same_at_a_few_offers_and_at_many(query_baseline):
    """Queries grow with the buyers a lead is sold to (each gets its access record and event), never
    with the offers: three buyers at 3 offers and at 28."""
    with_rules(offers(3, price=Decimal("20"), duplicate_days=30))
    distribute_costs(query_baseline, "distribute-selling-with-caps", "multisell")
    with_rules(offers(25, price=Decimal("20"), duplicate_days=30))
    distribute_costs(query_baseline, "distribute-selling-with-caps", "multisell")


def test_a_planted_query_fails_naming_the_baseline_and_both_counts(query_baseline):
    offers(2)
    expected = read(baseline_file("distribution"))[connection.vendor]["decide"]
    query_baseline.updating = False  # it must fail even while the baselines are rewritten
    lead = make_lead(zip_code="94105", monthly_electric_bill=150)
    with pytest.raises(pytest.fail.Exception) as caught, query_baseline("decide"):
        decide_for(lead)
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    assert f"'decide' changed: baseline {expected}, now {expected + 1}" in str(caught.value)
