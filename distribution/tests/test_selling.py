"""Selling a lead: prices and adjustments, highest_price and multisell (with and without an
exclusive winner), sale rows and ledger entries, caps and their windows in the buyer's time zone
(across a DST change), the per-buyer duplicate window, payouts in the webhook answer, and the
credit of a sale whose delivery finally fails."""
from datetime import datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ValidationError

from distribution.caps import window_start
from distribution.models import Cap, CapUsage, Decision, Offer, OfferPriceAdjustment, Sale
from distribution.services import lead_distribute
from leadhub.models import MONEY_MAX
from leadhub.testing import (
    WebhookReceiver,
    make_keyed_provider,
    make_lead,
    make_webhook,
    make_workspace,
    provider_post,
)
from leadhub.testing.clock import CLOCK_ZONE
from leads.models import Lead
from ledger.models import Entry, EntryKind
from ledger.verify import ledger_verify
from workspaces.delivery import outbox_deliver
from workspaces.models import DeliveryStatus, OutboundEvent

pytestmark = pytest.mark.django_db

NEW_YORK = ZoneInfo("America/New_York")
D = Decimal


def offer(price="0", workspace=None, **fields):
    return Offer.objects.create(workspace=workspace or make_workspace(), products=["solar"], price=D(price), **fields)


def sell(strategy="priority", lead=None, **kwargs):
    lead = lead or make_lead(zip_code="94105")
    return lead, lead_distribute(lead=lead, strategy=strategy, **kwargs)


def sales_of(lead):
    return {(s.workspace_id, s.price, s.exclusive) for s in Sale.objects.filter(lead=lead)}


# --- prices and strategies ---------------------------------------------------------------------


def test_highest_price_wins_and_ties_keep_winning_order():
    low, high, tie = offer("20", priority=5), offer("35", priority=1), offer("35", priority=1)
    lead, decision = sell("highest_price")
    assert decision.workspace_ids == [high.workspace_id]
    assert sales_of(lead) == {(high.workspace_id, D("35.00"), False)}
    assert {row["offer_id"]: row["price"] for row in decision.candidates} == {
        low.pk: "20.00", high.pk: "35.00", tie.pk: "35.00"}


def test_price_adjustments_by_field_reuse_the_filter_checks():
    cheap, premium = offer("30"), offer("25")
    OfferPriceAdjustment.objects.create(offer=premium, column="property_type", op="eq", value="single_family",
                                        amount=D("10"))
    lead, decision = sell("highest_price", lead=make_lead(zip_code="94105", property_type="Single_Family"))
    assert decision.workspace_ids == [premium.workspace_id] and sales_of(lead) == {(premium.workspace_id, D("35.00"), False)}
    _, decision = sell("highest_price", lead=make_lead(zip_code="94105", property_type="condo"))
    assert decision.workspace_ids == [cheap.workspace_id]
    with pytest.raises(ValidationError, match="roof_age is a number"):
        OfferPriceAdjustment(offer=premium, column="roof_age", op="gte", value="old", amount=D("5")).full_clean()
    with pytest.raises(ValidationError):
        Offer(workspace=premium.workspace, price=MONEY_MAX + 1).full_clean()


def test_multisell_sells_up_to_n_buyers_at_shared_prices():
    webhook = make_webhook(multisell_buyers=2)
    a, b, c = offer("40"), offer("30"), offer("20")
    offer("45", workspace=a.workspace)  # one buyer is sold once, at its best offer
    offer("90", exclusive_price=D("80"))  # alone at 80 < 90 + 45 shared: sold shared, first
    lead = make_lead(zip_code="94105", webhook_id=webhook.webhook_id)
    _, decision = sell("multisell", lead=lead, webhook=webhook)
    assert len(decision.workspace_ids) == 2
    assert {price for _, price, exclusive in sales_of(lead) if not exclusive} == {D("90.00"), D("45.00")}
    assert b.workspace_id not in decision.workspace_ids and c.workspace_id not in decision.workspace_ids
    lead.refresh_from_db()
    assert lead.workspace_id == decision.workspace_ids[0]  # the highest shared price is the primary assignee
    sales = Entry.objects.filter(lead_id=lead.pk, kind=EntryKind.SALE)
    assert sorted(e.amount for e in sales) == [D("45.00"), D("90.00")]


def test_multisell_gives_the_lead_alone_to_an_exclusive_price_beating_the_shared_sum():
    webhook = make_webhook(multisell_buyers=3)
    offer("40"), offer("30"), offer("20")
    alone = offer("10", exclusive_price=D("95"))  # 95 > 40 + 30 + 20
    lead = make_lead(zip_code="94105", webhook_id=webhook.webhook_id)
    _, decision = sell("multisell", lead=lead, webhook=webhook)
    assert decision.workspace_ids == [alone.workspace_id]
    assert sales_of(lead) == {(alone.workspace_id, D("95.00"), True)}
    lead.refresh_from_db()
    assert lead.workspace_id == alone.workspace_id


# --- caps ---------------------------------------------------------------------------------------


def test_a_full_offer_cap_sends_the_lead_down_the_strategy_with_its_verdict(frozen_clock):
    buyer = make_workspace(time_zone=CLOCK_ZONE)  # the frozen instant is the edge of its day, week, month
    capped, fallback = offer("10", workspace=buyer, priority=5), offer("5", priority=1)
    Cap.objects.create(workspace=capped.workspace, offer=capped, window="day", maximum=2)
    Cap.objects.create(workspace=capped.workspace, offer=capped, window="hour", measure="spend", maximum=D("100"))
    winners = [sell()[1].workspace_ids[0] for _ in range(3)]
    assert winners == [capped.workspace_id, capped.workspace_id, fallback.workspace_id]
    last = Decision.objects.order_by("-id").first()
    assert {row["offer_id"]: row["verdict"] for row in last.candidates}[capped.pk] == "cap:offer:day"
    assert last.refused == {"cap:offer:day": 1}


def test_spend_and_buyer_caps_and_several_at_once(frozen_clock):
    buyer = make_workspace(time_zone=CLOCK_ZONE)
    first, second = offer("30", workspace=buyer, priority=5), offer("30", workspace=buyer, priority=4)
    fallback = offer("1", priority=1)
    Cap.objects.create(workspace=buyer, window="week", maximum=3)  # the buyer across both offers
    Cap.objects.create(workspace=buyer, offer=first, window="month", measure="spend", maximum=D("60"))
    winners = [sell()[1].offer_ids[0] for _ in range(4)]
    assert winners == [first.pk, first.pk, second.pk, fallback.pk]
    refused = Decision.objects.order_by("-id").first().refused
    assert refused == {"cap:buyer:week": 2}  # each offer's first cap that is full, in cap order


def test_a_cap_that_refuses_at_claim_time_decides_again_with_nothing_of_the_first_round_kept(monkeypatch,
                                                                                           frozen_clock):
    """The read said room (another sale filled the cap between the read and the claim): the
    claim refuses, the whole first round rolls back and the strategy chooses again."""
    import distribution.engine as engine

    capped, fallback = offer("10", priority=5), offer("5", priority=1)
    cap = Cap.objects.create(workspace=capped.workspace, offer=capped, window="day", maximum=1)
    buyer_cap = Cap.objects.create(workspace=capped.workspace, window="day", maximum=5)
    real_attach = engine.caps_attach

    def stale_read(candidates, *, at):
        real_attach(candidates, at=at)
        CapUsage.objects.update_or_create(cap=cap, window_start=window_start("day", at, "UTC"),
                                          defaults={"used": 1})  # what the other sale committed

    monkeypatch.setattr(engine, "caps_attach", stale_read)
    lead, decision = sell()
    assert decision.workspace_ids == [fallback.workspace_id]
    assert {row["offer_id"]: row["verdict"] for row in decision.candidates}[capped.pk] == "cap:offer:day"
    assert sales_of(lead) == {(fallback.workspace_id, D("5.00"), False)}
    assert Decision.objects.filter(lead_id=lead.pk).count() == 1
    assert not Entry.objects.filter(lead_id=lead.pk, workspace_id=capped.workspace_id).exists()
    assert not CapUsage.objects.filter(cap=buyer_cap).exists()  # the buyer cap's claim went back too


def test_caps_are_claimed_together_and_one_cap_claimed_twice_counts_twice():
    from distribution.caps import caps_claim

    buyer = make_workspace()
    one = Cap.objects.create(workspace=buyer, window="day", maximum=1)
    room = Cap.objects.create(workspace=buyer, window="day", measure="spend", maximum=D("50"))
    start = window_start("day", make_lead().created_at, "UTC")
    assert caps_claim([(one, start, D("1")), (room, start, D("20"))]).caps == set()
    assert caps_claim([(room, start, D("20")), (room, start, D("20"))]).caps == {room.pk}  # 20 + 40 > 50
    assert caps_claim([(one, start, D("1"))]).caps == {one.pk}
    assert {u.cap_id: u.used for u in CapUsage.objects.all()} == {one.pk: D("1"), room.pk: D("20")}


def test_caps_reset_at_the_buyers_midnight_across_a_dst_change():
    buyer = make_workspace(time_zone="America/New_York")
    capped, fallback = offer("10", workspace=buyer, priority=5), offer("1", priority=1)
    Cap.objects.create(workspace=buyer, offer=capped, window="day", maximum=1)
    # 2026-03-08 is the spring-forward day in New York: 23:30 on the 7th (EST) and 00:10 on the 8th
    # are the same UTC day, but two of the buyer's days.
    before = datetime(2026, 3, 7, 23, 30, tzinfo=NEW_YORK)
    after = datetime(2026, 3, 8, 0, 10, tzinfo=NEW_YORK)
    late = datetime(2026, 3, 8, 23, 50, tzinfo=NEW_YORK)  # 23 hours after midnight: still the 8th
    assert before.astimezone(ZoneInfo("UTC")).date() == after.astimezone(ZoneInfo("UTC")).date()
    assert [sell(at=at)[1].offer_ids[0] for at in (before, before + timedelta(minutes=5), after, late)] == [
        capped.pk, fallback.pk, capped.pk, fallback.pk]
    starts = sorted(CapUsage.objects.values_list("window_start", flat=True))
    assert [s.astimezone(NEW_YORK).isoformat() for s in starts] == [
        "2026-03-07T00:00:00-05:00", "2026-03-08T00:00:00-05:00"]


def test_window_starts_in_the_buyers_zone():
    at = datetime(2026, 11, 1, 1, 30, tzinfo=NEW_YORK, fold=1)  # the repeated hour (EST)
    assert window_start("hour", at, "America/New_York") == datetime(2026, 11, 1, 6, 0, tzinfo=ZoneInfo("UTC"))
    assert window_start("hour", at.replace(fold=0), "America/New_York") == datetime(
        2026, 11, 1, 5, 0, tzinfo=ZoneInfo("UTC"))
    wednesday = datetime(2026, 12, 2, 15, 0, tzinfo=ZoneInfo("UTC"))
    assert window_start("week", wednesday, "Europe/Berlin").isoformat() == "2026-11-29T23:00:00+00:00"
    assert window_start("month", wednesday, "America/Los_Angeles").isoformat() == "2026-12-01T08:00:00+00:00"


# --- duplicate window ---------------------------------------------------------------------------


def test_the_same_phone_is_not_sold_to_the_same_buyer_within_its_window():
    guarded, other = offer("10", priority=5, duplicate_days=30), offer("5", priority=1)
    first = make_lead(zip_code="94105")
    again = make_lead(zip_code="94105", phone=first.phone)
    now = datetime(2026, 6, 1, 12, 0, tzinfo=ZoneInfo("UTC"))
    assert sell(lead=first, at=now)[1].offer_ids == [guarded.pk]
    decision = sell(lead=again, at=now + timedelta(days=29))[1]
    assert decision.offer_ids == [other.pk] and decision.refused == {"duplicate_for_buyer": 1}
    later = make_lead(zip_code="94105", phone=first.phone)
    assert sell(lead=later, at=now + timedelta(days=31))[1].offer_ids == [guarded.pk]


# --- payouts, the webhook answer, undelivered ------------------------------------------------------


PAYLOAD = {"first_name": "Ada", "last_name": "Byron", "email": "ada@example.com", "phone": "(415) 867-5309",
           "zip_code": "94105", "consent_value": "true", "tcpa_compliance": "yes", "subsource": "fb-7"}


@pytest.mark.parametrize(("payout", "sold", "price"), [
    ({"payout_kind": "share", "payout_share": D("40")}, True, "16.00"),
    ({"payout_kind": "fixed", "payout_amount": D("7.50")}, True, "7.50"),
    ({}, True, None),
])
def test_the_webhook_answer_says_sold_and_the_sources_payout_never_the_buyer(client, payout, sold, price):
    buyer = offer("40").workspace
    webhook, provider = make_webhook(distribution_strategy="priority", **payout), make_keyed_provider()
    response = provider_post(client, f"/api/v1/webhooks/{webhook.webhook_id}/leads/", PAYLOAD, provider=provider)
    assert response.status_code == 201, response.content
    disposition = response.json()["disposition"]
    assert (disposition["sold"], disposition["price"]) == (sold, price)
    assert buyer.pk not in response.content.decode() and "40.00" not in response.content.decode()
    lead = Lead.objects.get()
    entries = {e.kind: e for e in Entry.objects.filter(lead_id=lead.pk)}
    assert entries["sale"].amount == D("40.00") and entries["sale"].workspace_id == buyer.pk
    assert (entries["sale"].provider_id, entries["sale"].webhook_id, entries["sale"].subsource) == (
        provider.provider_id, webhook.webhook_id, "fb-7")
    assert (entries["payout"].amount if "payout" in entries else None) == (price and D(price))
    assert ledger_verify() == []


def test_a_fixed_payout_is_owed_for_an_unsold_lead_and_booked_once(client):
    webhook, provider = make_webhook(distribution_strategy="priority", payout_kind="fixed",
                                     payout_amount=D("3")), make_keyed_provider()
    response = provider_post(client, f"/api/v1/webhooks/{webhook.webhook_id}/leads/", PAYLOAD, provider=provider)
    disposition = response.json()["disposition"]
    assert (disposition["sold"], disposition["price"]) == (False, "3.00")
    lead = Lead.objects.get()
    offer("10")
    lead_distribute(lead=lead, strategy="priority", webhook=webhook)  # distributed again: sold now
    assert sorted(Entry.objects.filter(lead_id=lead.pk).values_list("kind", "amount")) == [
        ("payout", D("3.00")), ("sale", D("10.00"))]


def test_a_sale_whose_delivery_finally_fails_is_credited_once():
    with WebhookReceiver([400]) as receiver:
        buyer = make_workspace(outbound_webhook_url=receiver.url, webhook_active=True)
        offer("25", workspace=buyer)
        lead, _ = sell()
        event = OutboundEvent.objects.get(workspace=buyer, subject_id=str(lead.pk), event_type="lead.assigned")
        assert outbox_deliver(event_id=event.pk).status == DeliveryStatus.FAILED
    credit = Entry.objects.get(kind=EntryKind.UNDELIVERED)
    assert (credit.amount, credit.workspace_id, credit.lead_id) == (D("-25.00"), buyer.pk, lead.pk)
    from distribution.services import sale_undelivered

    sale_undelivered(lead_id=lead.pk, workspace_id=buyer.pk)  # a second failure signal
    assert Entry.objects.filter(kind=EntryKind.UNDELIVERED).count() == 1
    assert ledger_verify() == []


def test_an_unpriced_sale_is_recorded_but_books_no_money():
    free = offer("0")
    lead, decision = sell()
    assert decision.workspace_ids == [free.workspace_id]
    assert sales_of(lead) == {(free.workspace_id, D("0.00"), False)}  # the duplicate window still sees it
    assert not Entry.objects.filter(lead_id=lead.pk).exists()
