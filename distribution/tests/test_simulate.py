"""The simulate page decides exactly as distribution would: the lead's webhook's strategy (unless
ops pick one), its `multisell_buyers`, caps as read, prices, the exclusive choice; it shows each
candidate's prices, and round robin as the offers it rotates among and the next one, without
moving the rotation."""
from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine

from distribution.models import Cap, Decision, Offer, RoundRobinCursor, Sale
from distribution.services import lead_distribute, lead_simulate
from leadhub.testing import admin_url, make_lead, make_webhook, make_workspace

pytestmark = pytest.mark.django_db
UTC = ZoneInfo("UTC")
AT = datetime(2026, 7, 1, 15, 10, tzinfo=UTC)


def offer(priority, price, exclusive_price=None, **fields):
    return Offer.objects.create(workspace=make_workspace(time_zone="UTC"), products=["solar"], priority=priority,
                                price=Decimal(price), exclusive_price=exclusive_price and Decimal(exclusive_price),
                                **fields)


@pytest.fixture
def market():
    """A (priority 3, $5) and B (priority 3, $8) share the top; C (priority 1, $12, exclusive $22)
    beats any two shared buyers' $20 but not three's $25; D (priority 5, $30) has a daily cap its
    one sale today filled."""
    a, b, c, d = offer(3, "5"), offer(3, "8"), offer(1, "12", "22"), offer(5, "30")
    Cap.objects.create(workspace=d.workspace, offer=d, window="day", maximum=1)
    lead_distribute(lead=make_lead(zip_code="94105"), strategy="priority", at=AT)  # D's one sale today
    assert Sale.objects.get().offer == d
    return {"A": a, "B": b, "C": c, "D": d}


@pytest.mark.parametrize("strategy, winners", [
    ("priority", ["A"]),
    ("round_robin", ["A"]),
    ("all_matches", ["A", "B", "C"]),
    ("highest_price", ["C"]),
    ("multisell", ["C"]),  # exclusive at $22: two buyers (the webhook's multisell_buyers) pay only $20
])
def test_simulate_decides_as_distribution_then_does(market, strategy, winners):
    webhook = make_webhook(distribution_strategy=strategy, multisell_buyers=2)
    lead = make_lead(zip_code="94105", webhook_id=webhook.webhook_id)
    names = {o.pk: name for name, o in market.items()}

    simulated = lead_simulate(lead=lead, at=AT)  # no strategy picked: the webhook's
    assert simulated.strategy == strategy and [names[c.offer.pk] for c in simulated.winners] == winners
    assert {names[c.offer.pk]: c.verdict for c in simulated.candidates}["D"] == "cap:offer:day"
    decision = lead_distribute(lead=lead, webhook=webhook, at=AT)
    assert decision.offer_ids == [c.offer.pk for c in simulated.winners]
    sold = {s.offer_id: (s.price, s.exclusive) for s in Sale.objects.filter(lead=lead)}
    assert sold == {c.offer.pk: (c.sale_price, c.exclusive) for c in simulated.winners}


def test_ops_may_pick_another_strategy_and_a_webhook_without_one_distributes_nothing(market):
    webhook = make_webhook(distribution_strategy="priority")
    lead = make_lead(zip_code="94105", webhook_id=webhook.webhook_id)
    assert [c.offer for c in lead_simulate(lead=lead, strategy="highest_price", at=AT).winners] == [market["C"]]
    silent = make_lead(zip_code="94105", webhook_id=make_webhook().webhook_id)
    simulated = lead_simulate(lead=silent, at=AT)
    assert simulated.winners == [] and not simulated.distributes
    assert {c.verdict for c in simulated.candidates} == {"eligible", "cap:offer:day"}  # the table is still shown


def test_round_robin_shows_the_offers_it_rotates_among_and_the_next_without_moving_it(market):
    webhook = make_webhook(distribution_strategy="round_robin")
    first, second = (make_lead(zip_code="94105", webhook_id=webhook.webhook_id) for _ in range(2))
    assert lead_distribute(lead=first, webhook=webhook, at=AT).offer_ids == [market["A"].pk]
    position = RoundRobinCursor.objects.get().position
    for _ in range(2):
        simulated = lead_simulate(lead=second, at=AT)
        assert [c.offer for c in simulated.rotation] == [market["A"], market["B"]]
        assert [c.offer for c in simulated.winners] == [market["B"]]
    assert RoundRobinCursor.objects.get().position == position
    assert lead_distribute(lead=second, webhook=webhook, at=AT).offer_ids == [market["B"].pk]


def test_the_page_shows_each_candidates_prices_the_exclusive_choice_and_the_rotation(admin_client, market):
    webhook = make_webhook(distribution_strategy="multisell", multisell_buyers=2)
    lead = make_lead(zip_code="94105", webhook_id=webhook.webhook_id)
    url = admin_url(Offer, "simulate")
    with time_machine.travel(AT, tick=False):  # the page decides now: D's cap is full today
        body = admin_client.get(url, {"lead_id": lead.pk}).content.decode()
        rotation = admin_client.get(url, {"lead_id": lead.pk, "strategy": "round_robin"}).content.decode()
    c = market["C"]
    assert f"Would go to {c.workspace_id} (offer #{c.pk}) at 22.00, exclusive" in body
    assert "by multisell (the webhook's strategy)" in body
    for price in ("5.00", "8.00", "12.00", "22.00", "30.00"):
        assert f"<td>{price}</td>" in body, price

    a, b = market["A"], market["B"]
    assert (f"Rotates among {a.workspace_id} (offer #{a.pk}), {b.workspace_id} (offer #{b.pk}); "
            f"next: {a.workspace_id} (offer #{a.pk})") in rotation
    assert not RoundRobinCursor.objects.exists() and Decision.objects.count() == 1  # D's sale only
