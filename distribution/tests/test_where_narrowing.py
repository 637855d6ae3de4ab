"""Where and what an offer buys: ZIP entries and states narrow together and products compare alike
(as a forwarding rule's do: one matcher, workspaces.zips.rule_matches), an offer with both ranks
by its ZIP entry, and offers that cannot buy now (paused, inactive,
schedule-closed) never take the candidate places of one that can."""
from datetime import datetime
from importlib import import_module
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from distribution.engine import MAX_CANDIDATES, decide
from distribution.models import DecisionResult, Offer, OfferWhere
from distribution.forms import OfferForm
from distribution.services import appointment_decide, lead_distribute
from leadhub.testing import make_lead, make_workspace
from workspaces.forwarding import forwarding_rule_matches
from workspaces.models import LeadForwardingRule

pytestmark = pytest.mark.django_db

AT = datetime(2026, 12, 8, 12, 0, tzinfo=ZoneInfo("UTC"))  # a Tuesday


def offer(workspace=None, **fields):
    fields.setdefault("products", ["solar"])
    return Offer.objects.create(workspace=workspace or make_workspace(), **fields)


def decided(lead):
    return decide(kind="lead", subject=lead, zip_code=lead.zip_code, state=lead.state, product="solar",
                  strategy="priority", key="where", at=AT).candidates


def candidates(zip_code, state):
    return decided(make_lead(zip_code=zip_code, state=state))


# --- ZIP entries AND states ---------------------------------------------------------------------


def test_an_offer_for_941_in_california_does_not_buy_a_lead_from_90210():
    bay = offer(zip_codes=["941*"], states=["CA"], price=Decimal("35"))
    decision = lead_distribute(lead=make_lead(zip_code="90210", state="CA"), strategy="priority", at=AT)
    assert decision.result == DecisionResult.UNSOLD and decision.candidates == []
    sold = lead_distribute(lead=make_lead(zip_code="94110", state="CA"), strategy="priority", at=AT)
    assert sold.offer_ids == [bay.pk] and sold.candidates[0]["price"] == "35.00"


def test_the_state_filters_the_zip_entries_and_radius():
    offer(zip_codes=["94110"], states=["NV"])
    offer(radius_zip="94110", radius_miles=5, states=["NV", "OR"])
    offer(zip_codes=["94100-94199"], states=["OR"])
    assert candidates("94110", "CA") == []
    assert candidates("94110", "") == []  # a lead without a state is in no listed state


def test_any_zip_with_states_is_those_states():
    anywhere_in_ca = offer(zip_codes=["*"], states=["CA"])
    assert [c.offer for c in candidates("90210", "CA")] == [anywhere_in_ca]
    assert candidates("90210", "NV") == []


def test_an_offer_with_both_ranks_by_its_zip_entry_the_state_a_filter():
    state_only = offer(states=["CA"])
    prefix_in_ca = offer(zip_codes=["941*"], states=["CA", "NV"])
    prefix = offer(zip_codes=["941*"])
    exact_in_ca = offer(zip_codes=["94110"], states=["CA"])
    found = candidates("94110", "CA")
    assert [c.offer for c in found] == [exact_in_ca, prefix_in_ca, prefix, state_only]
    assert [c.where.entry for c in found] == ["94110 in CA", "941* in CA", "941*", "state CA"]


def test_a_changed_offer_rewrites_its_rows_and_a_state_alone_keeps_its_state_rows():
    bay = offer(zip_codes=["941*"], states=["CA"])
    assert sorted(OfferWhere.objects.filter(offer=bay).values_list("bucket", "entry")) == [("941@CA", "941* in CA")]
    bay.zip_codes = []
    bay.save()
    assert sorted(OfferWhere.objects.filter(offer=bay).values_list("bucket", "entry")) == [("st:CA", "state CA")]


def test_an_appointment_without_a_lead_is_in_its_zips_state():
    bay = offer(kind="appointment", zip_codes=["941*"], states=["CA"])
    assert [c.offer for c in appointment_decide(zip_code="94110", product="solar").winners] == [bay]
    assert appointment_decide(zip_code="90210", product="solar").winners == []


def test_the_offer_form_says_zip_entries_and_states_narrow_together():
    assert "AND in one of the states" in OfferForm.base_fields["zip_text"].help_text
    assert "both must match" in OfferForm.base_fields["states_text"].help_text


CASES = [  # (ZIP entries, states, lead ZIP, lead state, matches)
    ([], [], "90210", "CA", True),
    (["941*"], [], "90210", "CA", False),
    ([], ["CA"], "90210", "CA", True),
    ([], ["CA"], "90210", "NV", False),
    (["941*"], ["CA"], "94110", "CA", True),
    (["941*"], ["CA"], "90210", "CA", False),
    (["941*"], ["CA"], "94110", "NV", False),
    (["941*"], ["CA"], "94110", "", False),
    (["941*"], ["CA"], "", "CA", False),
    (["*"], ["CA"], "90210", "CA", True),
    (["*"], ["CA"], "", "CA", True),
    (["90210", "94100-94199"], ["CA", "NV"], "94150", "NV", True),
    (["90210", "94100-94199"], ["CA", "NV"], "94250", "CA", False),
]


@pytest.mark.parametrize("zip_codes, states, zip_code, state, matches", CASES)
def test_an_offer_and_a_forwarding_rule_agree_on_where(zip_codes, states, zip_code, state, matches):
    rule = LeadForwardingRule(webhook_id="wh", zip_codes=zip_codes, states=states, target_url="https://x.example/")
    assert forwarding_rule_matches(rule, products=["solar"], zip_code=zip_code, state=state) is matches
    offer(zip_codes=zip_codes, states=states)
    assert bool(candidates(zip_code, state)) is matches


PRODUCT_CASES = [  # (product entries, the lead's type / productid / service type, matches)
    ([], ("solar", "", ""), True),
    (["*"], ("hvac", "", ""), True),
    (["  SOLAR "], ("solar", "", ""), True),
    (["panel-x"], ("solar", "Panel-X", ""), True),
    (["roof repair"], ("solar", "", "Roof Repair"), True),
    (["hvac"], ("solar", "panel-x", "roof repair"), False),
    (["Straße"], ("solar", "STRASSE", ""), True),  # case-folded, not only lower-cased
]


@pytest.mark.parametrize("entries, products, matches", PRODUCT_CASES)
def test_an_offer_and_a_forwarding_rule_agree_on_products(entries, products, matches):
    lead_type, productid, service_type = products
    lead = make_lead(lead_type=lead_type, productid=productid, service_type=service_type, zip_code="94110", state="CA")
    rule = LeadForwardingRule(webhook_id="wh", product_types=entries, target_url="https://x.example/")
    assert forwarding_rule_matches(rule, products=lead.products, zip_code="94110", state="CA") is matches
    offer(products=entries)
    found = decide(kind="lead", subject=lead, zip_code="94110", state="CA", product=lead.products,
                   strategy="priority", key="what", at=AT).candidates
    assert bool(found) is matches


# --- closed offers take no candidate places -----------------------------------------------------


def test_sixty_schedule_closed_offers_above_one_open_one_leave_it_to_sell():
    for _ in range(60):
        offer(priority=5, schedule={"mon": [["09:00", "17:00"]]})  # closed on a Tuesday
    open_one = offer(priority=1, price=Decimal("20"))
    decision = lead_distribute(lead=make_lead(zip_code="94110", state="CA"), strategy="priority", at=AT)
    assert decision.offer_ids == [open_one.pk]
    assert decision.refused == {"schedule_closed": MAX_CANDIDATES}  # the closed ones listed, at most fifty


def test_sixty_paused_or_inactive_offers_above_one_open_one_leave_it_to_sell():
    for n in range(60):
        if n % 3 == 0:
            offer(priority=5, paused_at=AT)
        elif n % 3 == 1:
            offer(priority=5, is_active=False)
        else:
            offer(make_workspace(is_active=False), priority=5)
    open_one = offer(priority=1)
    decision = lead_distribute(lead=make_lead(zip_code="94110", state="CA"), strategy="priority", at=AT)
    assert decision.offer_ids == [open_one.pk] and decision.refused == {}


def test_closed_offers_past_one_page_of_the_walk_are_walked_past(django_assert_max_num_queries):
    closed = [offer(priority=5, zip_codes=["94110"], schedule={"mon": [["09:00", "17:00"]]}) for _ in range(230)]
    late = offer(priority=4, zip_codes=["94110"], schedule={"tue": [["11:00", "13:00"]]})
    anywhere = offer(priority=1)
    lead = make_lead(zip_code="94110", state="CA")
    # the walk of 94110 reads a second page; the others end; the suppression read is the third
    with django_assert_max_num_queries(3):
        found = decided(lead)
    assert [c.offer for c in found if c.verdict == "eligible"] == [late, anywhere]
    assert [c.offer for c in found if c.verdict == "schedule_closed"] == closed[:MAX_CANDIDATES]


def test_the_migration_rebuilds_the_rows_of_offers_with_zip_entries_and_states():
    from django.apps import apps

    rebuild = import_module("distribution.migrations.0009_offer_where_zip_and_state").offers_where_rebuild
    bay, state_only = offer(zip_codes=["941*"], states=["CA"]), offer(states=["NV"])
    OfferWhere.objects.filter(offer=bay).update(bucket="941", entry="941*")  # the rows as they were: ORed
    OfferWhere.objects.create(offer=bay, bucket="st:CA", kind=4, low="00000", high="99999", span=100000,
                              entry="state CA", offer_kind="lead", priority=1, offer_created_at=bay.created_at)
    rebuild(apps, None)
    assert list(OfferWhere.objects.filter(offer=bay).values_list("bucket", flat=True)) == ["941@CA"]
    assert list(OfferWhere.objects.filter(offer=state_only).values_list("bucket", flat=True)) == ["st:NV"]
