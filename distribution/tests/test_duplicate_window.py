"""The per-buyer duplicate window (an offer's `duplicate_days`) holds when posts race: the
database decides it in the same conditional claim as caps, so twenty concurrent posts of one
phone sell it once to a buyer with a 30-day window."""
import importlib
from collections import Counter
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from types import SimpleNamespace

import pytest
from django.apps import apps
from django.db import connection
from django.test import Client

from distribution.duplicates import duplicates_claim
from distribution.models import BuyerPhone, Decision, Offer, Sale
from distribution.services import lead_distribute
from leadhub.testing import make_keyed_provider, make_lead, make_webhook, make_workspace, provider_post, run_at_once
from leads.models import Lead
from ledger.models import Entry, EntryKind
from ledger.verify import ledger_verify

D = Decimal
PAYLOAD = {"first_name": "Ada", "last_name": "Byron", "phone": "(415) 867-5309", "zip_code": "94105",
           "consent_value": "true", "tcpa_compliance": "yes"}


def offer(price="20", workspace=None, **fields):
    return Offer.objects.create(workspace=workspace or make_workspace(), products=["solar"], price=D(price), **fields)


def posts(count, *, at_once):
    """`count` posts of leads with one phone (each its own email) to a webhook selling by priority."""
    webhook, provider = make_webhook(distribution_strategy="priority"), make_keyed_provider()
    url = f"/api/v1/webhooks/{webhook.webhook_id}/leads/"

    def post(i):
        return provider_post(Client(), url, {**PAYLOAD, "email": f"ada{i}@example.com"}, provider=provider)

    if at_once:
        responses, errors = run_at_once(count, post)
        assert errors == []
    else:
        responses = [post(i) for i in range(count)]
    assert sorted(r.status_code for r in responses) == [201] * count, [r.content for r in responses]
    assert Lead.objects.count() == count
    return responses


def sold_to(workspace):
    """(sale rows, ledger sale entries) of `workspace`."""
    return (Sale.objects.filter(workspace=workspace).count(),
            Entry.objects.filter(kind=EntryKind.SALE, workspace_id=workspace.pk).count())


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_twenty_concurrent_posts_of_one_phone_sell_it_once_to_a_buyer_with_a_30_day_window(frozen_clock):
    guarded = offer(duplicate_days=30)
    responses = posts(20, at_once=True)
    assert sold_to(guarded.workspace) == (1, 1)
    assert sorted(r.json()["disposition"]["sold"] for r in responses) == [False] * 19 + [True]
    refused = [d.refused for d in Decision.objects.exclude(result="assigned")]
    assert refused == [{"duplicate_for_buyer": 1}] * 19
    assert ledger_verify() == []


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_twenty_concurrent_leads_of_one_phone_sell_once_to_the_windowed_buyer_and_the_rest_down_the_waterfall():
    """The refused claim rolls the round back and the lead is decided again without that offer."""
    guarded, fallback = offer(priority=5, duplicate_days=30), offer("5", priority=1)
    phone = make_lead().phone
    leads = [make_lead(zip_code="94105", phone=phone) for _ in range(20)]
    decisions, errors = run_at_once(20, lambda i: lead_distribute(lead=leads[i], strategy="priority", at=AT))
    assert errors == []
    assert Counter(d.offer_ids[0] for d in decisions) == {guarded.pk: 1, fallback.pk: 19}
    assert [d.refused for d in decisions if d.offer_ids == [fallback.pk]] == [{"duplicate_for_buyer": 1}] * 19
    assert sold_to(guarded.workspace) == (1, 1) and sold_to(fallback.workspace) == (19, 19)
    assert BuyerPhone.objects.get(workspace=guarded.workspace).last_sold_at == AT
    assert ledger_verify() == []


@pytest.mark.django_db
def test_posts_of_one_phone_one_after_another_sell_it_once_to_a_buyer_with_a_30_day_window(frozen_clock):
    """What SQLite (embedded mode) runs: its writers take turns, and the read and the claim agree."""
    guarded = offer(duplicate_days=30)
    responses = posts(5, at_once=False)
    assert sold_to(guarded.workspace) == (1, 1)
    assert [r.json()["disposition"]["sold"] for r in responses] == [True, False, False, False, False]
    assert BuyerPhone.objects.get(workspace=guarded.workspace).last_sold_at == frozen_clock.at


# --- the claim decides, the read only proposes ----------------------------------------------------


AT = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)


def sell(lead, at=AT):
    return lead_distribute(lead=lead, strategy="priority", at=at)


@pytest.fixture
def stale_read(monkeypatch):
    """The engine's read of the window sees nothing, as a post racing another one's sale does."""
    monkeypatch.setattr("distribution.engine.duplicates_mark", lambda *args, **kwargs: None)


@pytest.mark.django_db
def test_a_sale_the_read_missed_is_refused_by_the_claim_and_the_lead_decided_again(stale_read):
    guarded, fallback = offer(priority=5, duplicate_days=30), offer("5", priority=1)
    first = make_lead(zip_code="94105")
    assert sell(first).offer_ids == [guarded.pk]
    decision = sell(make_lead(zip_code="94105", phone=first.phone), at=AT + timedelta(days=1))
    assert decision.offer_ids == [fallback.pk] and decision.refused == {"duplicate_for_buyer": 1}
    assert {row["offer_id"]: row["verdict"] for row in decision.candidates} == {
        guarded.pk: "duplicate_for_buyer", fallback.pk: "eligible"}
    assert sold_to(guarded.workspace) == (1, 1) and Decision.objects.count() == 2  # the refused round left nothing
    assert BuyerPhone.objects.get(workspace=guarded.workspace).last_sold_at == AT


@pytest.mark.django_db
def test_a_refused_window_refuses_that_offer_not_the_buyers_offer_without_one(stale_read):
    """As the read decides: the window is the offer's, so the buyer may still buy by an offer
    without one (the row then moves to this sale)."""
    guarded = offer(priority=5, duplicate_days=30)
    plain = offer(priority=3, workspace=guarded.workspace)
    first = make_lead(zip_code="94105")
    assert sell(first).offer_ids == [guarded.pk]
    decision = sell(make_lead(zip_code="94105", phone=first.phone), at=AT + timedelta(days=1))
    assert decision.offer_ids == [plain.pk] and decision.refused == {"duplicate_for_buyer": 1}
    assert BuyerPhone.objects.get().last_sold_at == AT + timedelta(days=1)


@pytest.mark.django_db
@pytest.mark.parametrize(("days_ago", "sold"), [(31, True), (30, False), (29, False)])
def test_the_window_counts_from_the_buyers_last_sale_of_the_phone(days_ago, sold):
    guarded, fallback = offer(priority=5, duplicate_days=30), offer("5", priority=1)
    lead = make_lead(zip_code="94105")
    BuyerPhone.objects.create(workspace=guarded.workspace, phone=lead.phone, last_sold_at=AT - timedelta(days=days_ago))
    decision = sell(lead)
    assert decision.offer_ids == [guarded.pk if sold else fallback.pk]
    assert BuyerPhone.objects.get(workspace=guarded.workspace).last_sold_at == (
        AT if sold else AT - timedelta(days=days_ago))


@pytest.mark.django_db
@pytest.mark.parametrize("days", [0, None])
def test_an_offer_without_a_window_never_refuses_and_its_sales_still_move_the_buyers_row(days):
    free = offer(duplicate_days=days)
    first = make_lead(zip_code="94105")
    later = AT + timedelta(days=1)
    BuyerPhone.objects.create(workspace=free.workspace, phone=first.phone, last_sold_at=later)  # a later sale
    assert sell(first).offer_ids == [free.pk]
    assert BuyerPhone.objects.get().last_sold_at == later  # never moved back
    for _ in range(2):
        assert sell(make_lead(zip_code="94105", phone=first.phone), at=later + timedelta(hours=1)).offer_ids == [free.pk]
    assert BuyerPhone.objects.get().last_sold_at == later + timedelta(hours=1)
    assert sold_to(free.workspace) == (3, 3)


@pytest.mark.django_db
def test_a_claim_without_a_phone_costs_no_query(django_assert_num_queries):
    buyer = make_workspace()
    with django_assert_num_queries(0):
        assert duplicates_claim([]) == set()
        assert duplicates_claim([(buyer.pk, "", AT, 30)]) == set()
    with django_assert_num_queries(1):
        assert duplicates_claim([(buyer.pk, "+14158675309", AT, 30)]) == set()
    assert duplicates_claim([(buyer.pk, "+14158675309", AT + timedelta(days=1), 30)]) == {buyer.pk}


# --- the migration -------------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_migration_starts_each_buyers_row_from_its_latest_sale_of_the_phone():
    migration = importlib.import_module("distribution.migrations.0008_buyer_phone_window")
    buyer, other = make_workspace(), make_workspace()
    first = make_lead(zip_code="94105")
    again, elsewhere = make_lead(phone=first.phone), make_lead()
    blank = make_lead()
    for lead, workspace, days, phone in [(first, buyer, 0, first.phone), (again, buyer, 5, first.phone),
                                         (again, other, 1, first.phone), (elsewhere, buyer, 2, elsewhere.phone),
                                         (blank, other, 3, "")]:
        Sale.objects.create(lead=lead, workspace=workspace, price=D("10"), phone=phone, sold_at=AT + timedelta(days=days))

    # Only the editor's connection is used; SQLite cannot open a schema editor inside the test's transaction.
    migration.buyer_phones_from_sales(apps, SimpleNamespace(connection=connection))

    assert {(r.workspace_id, r.phone): r.last_sold_at for r in BuyerPhone.objects.all()} == {
        (buyer.pk, first.phone): AT + timedelta(days=5), (other.pk, first.phone): AT + timedelta(days=1),
        (buyer.pk, elsewhere.phone): AT + timedelta(days=2)}
    offer(workspace=buyer, priority=5, duplicate_days=30)
    fallback = offer("5", priority=1)
    decision = sell(make_lead(zip_code="94105", phone=first.phone), at=AT + timedelta(days=20))
    assert decision.offer_ids == [fallback.pk] and decision.refused == {"duplicate_for_buyer": 1}
