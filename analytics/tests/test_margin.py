"""Margin by source, webhook, sub-source, buyer, lead type and day, and return rates: every
figure is a sum of ledger entries (deposits are not sales), and the API's answer is never older
than 60 s, saying when it was computed."""
from collections import defaultdict
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal as D

import pytest
import time_machine
from django.contrib.auth import get_user_model
from rest_framework.test import APIClient

from analytics.margin import MARGIN_DIMENSIONS, margin_by, return_rates
from ledger.models import Entry, EntryKind, Side
from ledger.services import Draft, ledger_entries_record

pytestmark = pytest.mark.django_db
DAY1, DAY2 = date(2026, 5, 4), date(2026, 5, 5)


def at(day, hour):
    return datetime(day.year, day.month, day.day, hour, tzinfo=UTC)


def lead_money(lead_id, *, provider, webhook, subsource, buyer, lead_type, price, payout, day, credit=None,
               chargeback=None):
    dims = dict(provider_id=provider, webhook_id=webhook, subsource=subsource, lead_type=lead_type, lead_id=lead_id)
    drafts = [Draft(kind=EntryKind.SALE, amount=D(price), workspace_id=buyer, reference=f"sale:{lead_id}", **dims),
              Draft(kind=EntryKind.PAYOUT, amount=D(payout), reference=f"payout:{lead_id}", **dims)]
    ledger_entries_record(drafts=drafts, at=at(day, 10))
    later = []
    if credit:
        later.append(Draft(kind=EntryKind.RETURN_CREDIT, amount=-D(credit), workspace_id=buyer,
                           reference=f"return:{lead_id}", **dims))
    if chargeback:
        later.append(Draft(kind=EntryKind.CHARGEBACK, amount=-D(chargeback), reference=f"chargeback:{lead_id}", **dims))
    ledger_entries_record(drafts=later, at=at(day, 15))


@pytest.fixture
def book():
    lead_money(1, provider="p1", webhook="w1", subsource="fb", buyer="ws-a", lead_type="solar", price="30",
               payout="10", day=DAY1)
    lead_money(2, provider="p1", webhook="w1", subsource="", buyer="ws-b", lead_type="solar", price="25",
               payout="10", day=DAY1, credit="25", chargeback="10")
    lead_money(3, provider="p2", webhook="w2", subsource="g", buyer="ws-a", lead_type="roofing", price="40",
               payout="12.50", day=DAY2, credit="40")
    ledger_entries_record(drafts=[
        Draft(kind=EntryKind.ADJUSTMENT, side=Side.BUYER, amount=D("5"), workspace_id="ws-b", provider_id="p2",
              webhook_id="w2", lead_type="roofing", note="goodwill"),
        Draft(kind=EntryKind.ADJUSTMENT, side=Side.SOURCE, amount=D("-2"), provider_id="p2", webhook_id="w2",
              lead_type="roofing", note="late fee"),
        Draft(kind=EntryKind.DEPOSIT, amount=D("-500"), workspace_id="ws-a", note="wire"),  # not a sale
    ], at=at(DAY2, 12))


def expected(by):
    """The margin per (group, day) summed from the entries one by one, deposits left out."""
    column = MARGIN_DIMENSIONS[by]
    sums = defaultdict(lambda: {"net_sales": D("0"), "net_payouts": D("0")})
    for entry in Entry.objects.exclude(kind=EntryKind.DEPOSIT):
        group = sums[(getattr(entry, column) if column else None, entry.created_at.date())]
        group["net_sales" if entry.side == Side.BUYER else "net_payouts"] += entry.amount
    return {key: {**figures, "margin": figures["net_sales"] - figures["net_payouts"]} for key, figures in sums.items()}


def test_margin_by_each_dimension_is_the_sum_of_its_entries(book):
    for by in MARGIN_DIMENSIONS:
        rows = margin_by(by=by, date_from=DAY1, date_to=DAY2)
        got = {(None if by == "day" else row[by], row["day"]):
               {name: row[name] for name in ("net_sales", "net_payouts", "margin")} for row in rows}
        assert got == expected(by), by
        for row in rows:
            assert row["net_sales"] == row["sales"] - row["credits"]
            assert row["net_payouts"] == row["payouts"] - row["chargebacks"]


def test_margin_figures_by_source(book):
    rows = {(row["source"], row["day"]): row for row in margin_by(by="source", date_from=DAY1, date_to=DAY2)}
    p1 = rows[("p1", DAY1)]
    assert (p1["sales"], p1["credits"], p1["payouts"], p1["chargebacks"]) == (D("55"), D("25"), D("20"), D("10"))
    assert (p1["margin"], p1["margin_pct"]) == (D("20.00"), D("66.67"))
    p2 = rows[("p2", DAY2)]  # a buyer adjustment of +5 is a negative credit; a source one of -2 a chargeback
    assert (p2["sales"], p2["credits"], p2["net_sales"], p2["chargebacks"]) == (D("40"), D("35"), D("5"), D("2"))
    assert ("", DAY2) not in rows  # the deposit is no sale
    assert margin_by(by="source", date_from=DAY1, date_to=DAY1) == [rows[("p1", DAY1)]]


def test_return_rate_by_source_and_reason(book):
    rates = {row["source"]: row for row in return_rates(date_from=DAY1, date_to=DAY2)}
    assert rates["p1"] == {"source": "p1", "sales": 2, "returns": 1, "return_rate": 50.0, "by_reason": {"unknown": 1}}
    assert rates["p2"]["return_rate"] == 100.0


@pytest.fixture
def staff_client():
    user = get_user_model().objects.create_user("ops-margin", password="x", is_staff=True, is_superuser=True)
    client = APIClient()
    client.force_login(user)
    return client


def test_the_api_answers_are_cached_at_most_60_seconds_and_say_as_of(book, staff_client):
    params = {"from": DAY1.isoformat(), "to": DAY2.isoformat(), "by": "webhook"}
    with time_machine.travel(datetime(2026, 5, 6, 9, 0, tzinfo=UTC), tick=False) as clock:
        first = staff_client.get("/api/v1/analytics/margin/", params).json()
        assert first["cached"] is False and first["as_of"].startswith("2026-05-06T09:00:00")
        assert {row["webhook"] for row in first["results"]} == {"w1", "w2"}
        ledger_entries_record(drafts=[Draft(kind=EntryKind.SALE, amount=D("7"), webhook_id="w1", provider_id="p1",
                                                    workspace_id="ws-a")],
                              at=at(DAY1, 20))
        clock.shift(timedelta(seconds=59))
        again = staff_client.get("/api/v1/analytics/margin/", params).json()
        assert again["cached"] is True and again["as_of"] == first["as_of"]
        clock.shift(timedelta(seconds=2))
        fresh = staff_client.get("/api/v1/analytics/margin/", params).json()
        assert fresh["cached"] is False and fresh["as_of"].startswith("2026-05-06T09:01:01")
        w1 = next(row for row in fresh["results"] if row["webhook"] == "w1" and row["day"] == DAY1.isoformat())
        assert D(w1["sales"]) == D("62")
    rates = staff_client.get("/api/v1/analytics/return-rate/", {"from": DAY1, "to": DAY2}).json()
    assert "as_of" in rates and {row["source"] for row in rates["results"]} == {"p1", "p2"}
    assert staff_client.get("/api/v1/analytics/margin/", {**params, "by": "offer"}).status_code == 400


def test_the_dashboard_shows_margin_and_returns_by_source_from_the_apis_cache(book, staff_client):
    params = {"from": DAY1.isoformat(), "to": DAY2.isoformat()}
    page = staff_client.get("/admin/dashboard/", {"date_from": params["from"], "date_to": params["to"]})
    assert page.status_code == 200
    text = page.content.decode()
    assert "Margin by source" in text and "Returns by source and reason" in text and "Figures as of" in text
    answer = staff_client.get("/api/v1/analytics/margin/", {**params, "by": "source"}).json()
    assert answer["cached"] is True and answer["as_of"] in text
