"""Appointment routing rules through the one engine (their offers): entry kinds, products,
priority, tie-breaks, derived rows (moved from workspaces/tests/test_routing.py with
`workspaces.routing.route`, now `distribution.services.appointment_decide`)."""
import pytest
from django.core.exceptions import ValidationError

from distribution.models import OfferWhere
from distribution.services import appointment_decide
from leadhub.testing import backdate, make_workspace
from workspaces.models import AppointmentRoutingRule
from workspaces.services import routing_rule_save

pytestmark = pytest.mark.django_db


def rule(workspace=None, zip_codes=(), product_types=(), **fields):
    return routing_rule_save(
        workspace=workspace or make_workspace(), zip_codes=list(zip_codes), product_types=list(product_types), **fields
    )


def winner(zip_code, product="solar"):
    found = appointment_decide(zip_code=zip_code, product=product).winners
    assert len(found) <= 1  # an appointment goes to one buyer
    return found[0].offer.routing_rule if found else None


def test_exact_zip_and_zip_plus_four():
    exact = rule(zip_codes=["94105", "94107"], product_types=["Solar"])
    assert winner("94107") == exact
    assert winner("94107-1234") == exact
    assert winner("941071234") == exact
    assert winner("94106") is None


def test_range_includes_both_bounds_and_nothing_outside():
    ranged = rule(zip_codes=["90210-90299"], product_types=["solar"])
    assert [winner(z) for z in ("90209", "90210", "90255", "90299", "90300")] == [None, ranged, ranged, ranged, None]


def test_range_across_three_digit_prefixes():
    wide = rule(zip_codes=["10090-10210"], product_types=["solar"])
    assert winner("10095") == wide and winner("10150") == wide and winner("10210") == wide
    assert winner("10089") is None and winner("10211") is None
    rows = OfferWhere.objects.filter(offer__routing_rule=wide, offer_kind="appointment")
    assert sorted(rows.values_list("bucket", flat=True)) == ["100", "101", "102"]


def test_prefix_matches_its_hundred_zips():
    prefixed = rule(zip_codes=["902*"], product_types=["solar"])
    assert winner("90200") == prefixed and winner("90299") == prefixed
    assert winner("90300") is None and winner("90199") is None


def test_product_is_case_insensitive_and_must_match():
    kitchen = rule(zip_codes=["94105"], product_types=["Kitchen", "Bath"])
    assert winner("94105", "KITCHEN") == kitchen
    assert winner("94105", "bath") == kitchen
    assert winner("94105", "Solar") is None
    assert winner("94105", "") is None


def test_empty_lists_mean_any_product_and_any_zip():
    any_product = rule(zip_codes=["60601"])
    nationwide = rule(product_types=["Insurance"])
    assert winner("60601", "Roofing") == any_product
    assert winner("99501", "insurance") == nationwide
    assert winner("", "insurance") == nationwide  # no ZIP at all: only "any ZIP" rules can take it
    assert winner("", "roofing") is None


def test_higher_priority_number_wins_over_specificity_and_age():
    rule(zip_codes=["94105"], priority=1)
    top = rule(zip_codes=["941*"], priority=5)
    rule(zip_codes=["94105"], priority=3)
    assert winner("94105") == top


def test_ties_go_to_exact_then_narrower_range_then_prefix_then_any():
    any_zip = rule(priority=2)
    prefix = rule(zip_codes=["941*"], priority=2)
    wide = rule(zip_codes=["94100-94199"], priority=2)
    narrow = rule(zip_codes=["94100-94110"], priority=2)
    exact = rule(zip_codes=["94105"], priority=2)
    assert winner("94105") == exact
    exact.delete()
    assert winner("94105") == narrow
    narrow.delete()
    assert winner("94105") == wide  # a range beats a prefix even when it is wider
    wide.delete()
    assert winner("94105") == prefix
    prefix.delete()
    assert winner("94105") == any_zip


def test_full_tie_goes_to_the_oldest_rule():
    newer = rule(zip_codes=["94105"])
    older = rule(zip_codes=["94105"])
    backdate(older, created_at=newer.created_at.replace(year=2020)).save()  # save re-derives its rows
    assert winner("94105") == older
    backdate(older, created_at=newer.created_at).save()  # same instant: the lower id
    assert winner("94105") == newer


def test_inactive_rules_and_inactive_workspaces_never_match():
    rule(zip_codes=["94105"], is_active=False)
    rule(make_workspace(is_active=False), zip_codes=["94105"])
    assert winner("94105") is None
    assert appointment_decide(zip_code="94105", product="solar").candidates == []  # not even candidates


def test_the_decision_names_the_workspace_and_rule_and_says_why():
    served = rule(zip_codes=["90210-90299"], product_types=["Solar"], priority=4)
    outcome = appointment_decide(zip_code="90215", product="solar")
    (chosen,) = outcome.winners
    assert (chosen.offer.workspace, chosen.offer.routing_rule) == (served.workspace, served)
    assert f"rule #{served.pk}" in outcome.reason and "priority 4" in outcome.reason
    assert "90210-90299" in outcome.reason


def test_saving_a_rule_rewrites_its_derived_rows():
    changed = rule(zip_codes=["94105"], product_types=["Solar"])
    routing_rule_save(rule=changed, workspace=changed.workspace, zip_codes=["10001"], product_types=["HVAC"])
    assert winner("94105") is None
    assert winner("10001", "hvac") == changed
    assert list(changed.offer.product_rows.values_list("product", flat=True)) == ["hvac"]
    # The ORM path (admin, objects.create) keeps them too.
    created = AppointmentRoutingRule.objects.create(workspace=make_workspace(), zip_codes=["33101"], priority=9)
    assert winner("33101", "anything") == created


@pytest.mark.parametrize("entry", ["9021", "90299-90210", "90*", "abcde", "90210-9029"])
def test_bad_zip_entries_are_refused_by_the_service(entry):
    with pytest.raises(ValidationError) as caught:
        rule(zip_codes=[entry])
    assert entry in str(caught.value.message_dict["zip_codes"])
    assert not AppointmentRoutingRule.objects.exists()


def test_switching_a_rule_off_or_changing_its_priority_takes_effect_at_once():
    low = rule(zip_codes=["94105"], priority=1)
    high = rule(zip_codes=["94105"], priority=2)
    assert winner("94105") == high
    routing_rule_save(rule=high, workspace=high.workspace, zip_codes=high.zip_codes, product_types=[], is_active=False)
    assert winner("94105") == low
    routing_rule_save(rule=high, workspace=high.workspace, zip_codes=high.zip_codes, product_types=[], priority=3)
    assert winner("94105") == high
