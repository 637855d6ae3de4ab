"""The eligibility engine: where, what, filters, schedules, verdicts, strategies and ties."""
import random
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ValidationError

from distribution.engine import MAX_CANDIDATES, decide
from distribution.geo import miles_between, zip_centroid
from distribution.models import Offer, OfferFilter
from distribution.services import lead_distribute, lead_simulate
from leadhub.testing import backdate, make_lead, make_workspace

pytestmark = pytest.mark.django_db

UTC = ZoneInfo("UTC")


def offer(workspace=None, **fields):
    fields.setdefault("products", ["solar"])
    return Offer.objects.create(workspace=workspace or make_workspace(), **fields)


def outcome(lead, strategy="priority", **kwargs):
    return decide(kind="lead", subject=lead, zip_code=lead.zip_code, state=lead.state, product=lead.lead_type,
                  strategy=strategy, key=f"test-{lead.webhook_id}", held=lead.hold_reasons.split(",")[0],
                  **kwargs)


def winner(lead, **kwargs):
    found = outcome(lead, **kwargs).winners
    return found[0].offer if found else None


# --- where ------------------------------------------------------------------------------------


def test_exact_range_prefix_state_and_any():
    exact, rng, prefix, state, anywhere = (
        offer(zip_codes=["90210"]), offer(zip_codes=["90200-90299"]), offer(zip_codes=["902*"]),
        offer(states=["ca"]), offer(),
    )
    found = outcome(make_lead(zip_code="90210", state="CA")).candidates
    assert [c.offer for c in found] == [exact, rng, prefix, state, anywhere]
    assert [c.offer for c in outcome(make_lead(zip_code="90301", state="NV")).candidates] == [anywhere]


def test_radius_at_two_real_zip_pairs():
    # Distances from the package's own centroids: 90210→90401 ≈ 6.95 mi, 90210→91101 ≈ 15.8 mi,
    # 10001→10301 ≈ 9.5 mi, 10001→06901 ≈ 31.9 mi.
    assert 6.9 < miles_between(zip_centroid("90210"), zip_centroid("90401")) < 7.0
    assert 15.7 < miles_between(zip_centroid("90210"), zip_centroid("91101")) < 15.9
    la, ny = offer(radius_zip="90210", radius_miles=10), offer(radius_zip="10001", radius_miles=10)
    assert winner(make_lead(zip_code="90401")) == la
    assert winner(make_lead(zip_code="91101")) is None
    assert winner(make_lead(zip_code="10301")) == ny
    assert winner(make_lead(zip_code="06901")) is None


def test_bad_where_entries_are_named():
    bad = Offer(workspace=make_workspace(), zip_codes=["9021", "90299-90200"], states=["XX"], radius_zip="00000",
                radius_miles=5)
    with pytest.raises(ValidationError) as error:
        bad.full_clean()
    assert "'9021' is not a ZIP entry" in str(error.value)
    assert "lower ZIP to the higher" in str(error.value)
    assert "XX" in str(error.value.message_dict["states"])
    assert "'00000' is not a known US ZIP code" in str(error.value.message_dict["radius_zip"])


def test_products_and_kind():
    solar = offer(products=["Solar"])
    offer(products=["hvac"])
    offer(kind="appointment", products=["solar"])
    assert [c.offer for c in outcome(make_lead(zip_code="10001")).candidates] == [solar]


# --- filters ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "column, op, value, passes, fails",
    [
        ("monthly_electric_bill", "gte", "150", {"monthly_electric_bill": "150.00"}, {"monthly_electric_bill": "149.99"}),
        ("roof_age", "lte", "20", {"roof_age": 20}, {"roof_age": 21}),
        ("roof_age", "between", "5, 10", {"roof_age": 5}, {"roof_age": 11}),
        ("property_type", "eq", "Single_Family", {"property_type": "single_family"}, {"property_type": "condo"}),
        ("state", "in", "CA, NV", {"state": "NV"}, {"state": "OR"}),
        ("roof_condition", "not_in", "[poor, needs_replacement]", {"roof_condition": "good"},
         {"roof_condition": "needs_replacement"}),
        ("email", "present", "", {"email": "a@example.com"}, {"email": ""}),
        ("utm_source", "absent", "", {"utm_source": ""}, {"utm_source": "fb"}),
        ("tcpa_compliance", "eq", "yes", {"tcpa_compliance": True}, {"tcpa_compliance": False}),
    ],
)
def test_each_filter_operator(column, op, value, passes, fails):
    filtered = offer()
    OfferFilter.objects.create(offer=filtered, column=column, op=op, value=value)
    assert outcome(make_lead(**passes)).candidates[0].verdict == "eligible"
    assert outcome(make_lead(**fails)).candidates[0].verdict == f"filter:{column}"


@pytest.mark.parametrize(
    "column, op, value, message",
    [
        ("roof_age", "gte", "old", "roof_age is a number, not 'old'"),
        ("property_type", "gte", "3", "property_type is not a number"),
        ("roof_age", "between", "10, 5", "the low value comes first"),
        ("roof_age", "between", "5", "between takes two values"),
        ("state", "in", "", "comma-separated list"),
        ("tcpa_compliance", "eq", "maybe", "true/false"),
    ],
)
def test_filters_are_validated_against_the_column_type(column, op, value, message):
    with pytest.raises(ValidationError) as error:
        OfferFilter(offer=offer(), column=column, op=op, value=value).full_clean()
    assert message in str(error.value)


# --- schedules --------------------------------------------------------------------------------


def at(text, zone="America/New_York"):
    return datetime.fromisoformat(text).replace(tzinfo=ZoneInfo(zone))


def test_schedule_window_edges_in_the_buyer_time_zone():
    buyer = make_workspace(time_zone="America/Chicago")
    offer(buyer, schedule={"mon": [["09:00", "17:00"]]}, dates_off=["2026-12-28"])
    lead = make_lead()
    verdict = lambda moment: outcome(lead, at=moment).candidates[0].verdict  # noqa: E731
    assert verdict(at("2026-12-07T09:00", "America/Chicago")) == "eligible"  # a Monday, start included
    assert verdict(at("2026-12-07T08:59", "America/Chicago")) == "schedule_closed"
    assert verdict(at("2026-12-07T16:59", "America/Chicago")) == "eligible"
    assert verdict(at("2026-12-07T17:00", "America/Chicago")) == "schedule_closed"  # end excluded
    assert verdict(at("2026-12-07T10:30", "America/New_York")) == "eligible"  # 09:30 in Chicago
    assert verdict(at("2026-12-07T09:30", "America/New_York")) == "schedule_closed"  # 08:30 in Chicago
    assert verdict(at("2026-12-08T10:00", "America/Chicago")) == "schedule_closed"  # Tuesday
    assert verdict(at("2026-12-28T10:00", "America/Chicago")) == "schedule_closed"  # a date off


def test_schedule_across_a_dst_change():
    # US DST ends Sunday 2026-11-01: 09:00 New York is 13:00 UTC on Friday and 14:00 UTC on Monday.
    offer(make_workspace(time_zone="America/New_York"), schedule={d: [["09:00", "10:00"]] for d in ("fri", "mon")})
    lead = make_lead()
    verdict = lambda moment: outcome(lead, at=moment).candidates[0].verdict  # noqa: E731
    assert verdict(at("2026-10-30T13:00", "UTC")) == "eligible"
    assert verdict(at("2026-11-02T13:00", "UTC")) == "schedule_closed"  # 08:00 local after the change
    assert verdict(at("2026-11-02T14:00", "UTC")) == "eligible"


def test_time_zone_is_validated():
    with pytest.raises(ValidationError) as error:
        make_workspace(time_zone="Mars/Olympus").full_clean()
    assert "not an IANA time zone" in str(error.value)


# --- verdicts ---------------------------------------------------------------------------------


def test_every_candidate_gets_a_verdict_and_refusals_are_counted():
    off = offer(is_active=False)
    paused = offer(paused_at=datetime(2026, 1, 1, tzinfo=UTC))
    dead_hook = offer(make_workspace(outbound_webhook_url="https://buyer.example/hook", webhook_active=False))
    closed = offer(schedule={"mon": [["00:00", "00:01"]]})
    filtered = offer()
    OfferFilter.objects.create(offer=filtered, column="roof_age", op="gte", value="10")
    good = offer()
    result = outcome(make_lead(roof_age=3), at=at("2026-12-08T12:00"))
    verdicts = {c.offer: c.verdict for c in result.candidates}
    assert verdicts == {dead_hook: "buyer_webhook_off", closed: "schedule_closed", filtered: "filter:roof_age",
                        good: "eligible"}  # inactive and paused offers are no candidates: off and paused
    assert off not in verdicts and paused not in verdicts
    assert result.refused == {"buyer_webhook_off": 1, "schedule_closed": 1, "filter:roof_age": 1}
    assert [c.offer for c in result.winners] == [good]


def test_consent_hold_and_own_referral():
    sender = make_workspace()
    offer(sender)
    other = offer()
    lead = make_lead()
    result = decide(kind="lead", subject=lead, zip_code="", state="", product="solar", strategy="priority", key="k",
                    sender_workspace_id=sender.pk)
    assert [c.verdict for c in result.candidates] == ["own_referral", "eligible"]
    assert result.winners[0].offer == other
    assert {c.verdict for c in outcome(make_lead(held_for_consent=True)).candidates} == {"consent_hold"}


def test_at_most_fifty_candidates_are_listed():
    for _ in range(MAX_CANDIDATES + 5):
        offer()
    assert len(outcome(make_lead()).candidates) == MAX_CANDIDATES


# --- strategies and ties ----------------------------------------------------------------------


def test_priority_then_specificity_then_age():
    old_any = offer(priority=3)
    backdate(old_any, created_at=datetime(2020, 1, 1, tzinfo=UTC))
    old_any.save()  # rows copy the age
    prefix = offer(priority=3, zip_codes=["941*"])
    wide = offer(priority=3, zip_codes=["94000-94999"])
    narrow = offer(priority=3, zip_codes=["94100-94199"])
    exact = offer(priority=3, zip_codes=["94105"])
    top = offer(priority=9)
    lead = make_lead(zip_code="94105")
    assert [c.offer for c in outcome(lead).candidates] == [top, exact, narrow, wide, prefix, old_any]
    first, second = offer(priority=20), offer(priority=20)
    backdate(second, created_at=datetime(2019, 1, 1, tzinfo=UTC))
    second.save()
    assert winner(lead) == second and first != second


def test_priority_and_all_matches():
    a, b = offer(priority=2), offer(priority=1)
    lead = make_lead()
    assert [c.offer for c in outcome(lead, strategy="priority").winners] == [a]
    assert [c.offer for c in outcome(lead, strategy="all_matches").winners] == [a, b]


def test_weighted_is_seedable_and_follows_the_weights():
    heavy, light = offer(weight=9), offer(weight=1)
    lead = make_lead()
    picks = [winner(lead, strategy="weighted", rng=random.Random(7)) for _ in range(3)]
    assert picks == [winner(lead, strategy="weighted", rng=random.Random(7))] * 3
    rng = random.Random(42)
    counts = {heavy: 0, light: 0}
    for _ in range(500):
        counts[winner(lead, strategy="weighted", rng=rng)] += 1
    assert 400 < counts[heavy] < 490


def test_round_robin_rotates_among_the_top_priority_only():
    a, b, c = offer(priority=5), offer(priority=5), offer(priority=5)
    offer(priority=1)
    lead = make_lead()
    picks = [winner(lead, strategy="round_robin") for _ in range(6)]
    assert picks == [a, b, c, a, b, c]


def test_all_matches_assigns_the_first_and_copies_to_the_others():
    hook = dict(outbound_webhook_url="https://buyer.example/hook", webhook_active=True)
    first, second = offer(make_workspace(**hook), priority=2), offer(make_workspace(**hook), priority=1)
    lead = make_lead()
    decision = lead_distribute(lead=lead, strategy="all_matches")
    lead.refresh_from_db()
    assert lead.workspace_id == first.workspace_id
    assert decision.workspace_ids == [first.workspace_id, second.workspace_id]
    assert second.workspace.outbound_events.filter(event_type="lead.forwarded").count() == 1


def test_simulate_shows_the_table_without_distributing():
    good = offer()
    lead = make_lead()
    result = lead_simulate(lead=lead, strategy="priority")
    assert [c.offer for c in result.winners] == [good]
    lead.refresh_from_db()
    assert lead.workspace_id is None and not lead.decisions.exists()


def test_pausing_keeps_the_where_rows():
    paused = offer(zip_codes=["94105"])
    rows = list(paused.where_rows.values_list("pk", flat=True))
    paused.paused_at = datetime(2026, 1, 1, tzinfo=UTC) + timedelta(0)
    paused.save(update_fields=["paused_at", "updated_at"])
    assert list(paused.where_rows.values_list("pk", flat=True)) == rows
