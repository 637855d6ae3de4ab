"""A workspace's leads in its KPIs: every lead it holds through a live access record (each
multisell buyer, a routed or forwarded holder, the primary assignee), each counted by that
record's own working status, exactly the leads GET /api/v1/leads/ lists for it. Per provider and
per area the answers add up to the daily and per-workspace ones; ops count each lead once."""
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from rest_framework.test import APIClient

from analytics.models import ConversionAnalyticsCache
from distribution.models import Offer
from distribution.services import lead_distribute
from leadhub.testing import backdate, make_access, make_conversion, make_lead, make_provider, make_webhook
from leadhub.testing.api import result_ids, workspace_with_key
from leads.models import AccessHow
from leads.services.access import lead_access_revoke

pytestmark = pytest.mark.django_db
RANGE = {"from": "2025-04-01", "to": "2025-04-03"}
LEAD_KPIS = ("contact-lead-ratio", "providers", "geography", "daily", "funnel")
KPIS = (*LEAD_KPIS, "workspaces")


def at(day, hour=0):
    return datetime(2025, 4, day, hour, tzinfo=UTC)


@pytest.fixture
def staff(db):
    client = APIClient()
    client.force_login(get_user_model().objects.create_user("ops", password="x", is_staff=True, is_superuser=True))
    return client


def answers(client):
    """Every KPI of the caller over RANGE, computed afresh (the cache would keep the last answer)."""
    ConversionAnalyticsCache.objects.all().delete()
    results = {}
    for kpi in KPIS:
        response = client.get(f"/api/v1/analytics/{kpi}/", RANGE)
        assert response.status_code == 200, response.content
        results[kpi] = response.json()["results"]
    return results


def leads_counted(kpis):
    """The leads each lead-counting KPI counted, by KPI."""
    return {
        "contact-lead-ratio": kpis["contact-lead-ratio"]["overall"]["leads"],
        "providers": sum(row["leads"] for row in kpis["providers"]),
        "geography": sum(row["leads"] for row in kpis["geography"]),
        "daily": sum(row["leads"] for row in kpis["daily"]),
        "funnel": stage(kpis, "leads"),
    }


def stage(kpis, name):
    return next((step["leads"] for step in kpis["funnel"] if step["step"] == name), 0)


def revenue(rows):
    return sum((Decimal(row["revenue"]) for row in rows), Decimal("0"))


def a_lead(provider, **fields):
    fields = {"state": "CA", "zip_code": "94105", **fields}
    lead = make_lead(provider_id=provider.provider_id, **fields)
    return backdate(lead, created_at=at(2, 10))


def multisold(provider, first, second):
    """A lead sold by distribution to both buyers (multisell): `first` at the higher price is the
    primary assignee, `second` holds it by its `sold` access record."""
    webhook = make_webhook(multisell_buyers=2)
    Offer.objects.create(workspace=first, products=["solar"], price=Decimal("40"))
    Offer.objects.create(workspace=second, products=["solar"], price=Decimal("30"))
    lead = a_lead(provider, webhook_id=webhook.webhook_id)
    decision = lead_distribute(lead=lead, strategy="multisell", webhook=webhook)
    assert decision.workspace_ids == [first.pk, second.pk]
    lead.refresh_from_db()
    assert lead.workspace_id == first.pk
    return lead


def patch_status(client, lead, status):
    response = client.patch(f"/api/v1/leads/{lead.pk}/", {"status": status}, format="json")
    assert response.status_code == 200, response.content


def test_each_multisell_buyer_counts_the_lead_by_its_own_status(staff):
    """Repro: the second buyer listed the lead at GET /api/v1/leads/ and worked it, but every KPI
    of its own said 0 leads (analytics counted `leads.workspace_id`, the first buyer, only)."""
    first, first_client = workspace_with_key()
    second, second_client = workspace_with_key()
    lead = multisold(make_provider(), first, second)
    patch_status(first_client, lead, "contacted")
    patch_status(second_client, lead, "qualified")
    make_conversion(lead, workspace=second, conversion_value="500.00", converted_at=at(3, 9))
    assert str(lead.pk) in result_ids(second_client.get("/api/v1/leads/"))

    mine = answers(second_client)
    assert leads_counted(mine) == dict.fromkeys(LEAD_KPIS, 1)
    assert (stage(mine, "contacted"), stage(mine, "qualified"), stage(mine, "conversion")) == (0, 1, 1)
    assert revenue(mine["providers"]) == revenue(mine["geography"]) == Decimal("500.00")

    theirs = answers(first_client)
    assert leads_counted(theirs) == dict.fromkeys(LEAD_KPIS, 1)
    assert (stage(theirs, "contacted"), stage(theirs, "qualified"), stage(theirs, "conversion")) == (1, 0, 0)
    assert revenue(theirs["providers"]) == Decimal("0.00")

    # Ops count the lead once, however many buyers hold it.
    assert leads_counted(answers(staff)) == dict.fromkeys(LEAD_KPIS, 1)


@pytest.mark.parametrize("how", [AccessHow.ROUTED, AccessHow.FORWARDED])
def test_a_routed_or_forwarded_holder_counts_the_lead_by_its_own_status(how):
    primary, primary_client = workspace_with_key()
    holder, holder_client = workspace_with_key()
    lead = a_lead(make_provider(), workspace=primary)
    make_access(lead, holder, how=how)
    patch_status(holder_client, lead, "contacted")

    mine = answers(holder_client)
    assert leads_counted(mine) == dict.fromkeys(LEAD_KPIS, 1)
    assert (stage(mine, "new"), stage(mine, "contacted")) == (1, 1)  # its record started at `new`
    theirs = answers(primary_client)
    assert leads_counted(theirs) == dict.fromkeys(LEAD_KPIS, 1)
    assert (stage(theirs, "new"), stage(theirs, "contacted")) == (1, 0)


def test_provider_and_geography_totals_equal_the_daily_and_workspace_totals(staff):
    """Repro: a multisell second buyer's and a routed holder's conversions showed in their daily
    and workspace KPIs but not in their provider and geography ones (those counted the primary
    assignee's leads only), so the same workspace and period had two revenues."""
    seller, seller_client = workspace_with_key()
    buyer, buyer_client = workspace_with_key()
    installer, installer_client = workspace_with_key()
    p1, p2 = make_provider(), make_provider()
    shared = multisold(p1, seller, buyer)
    routed = a_lead(p2, workspace=seller, state="IL", zip_code="60601")
    make_access(routed, installer, how=AccessHow.ROUTED)
    own = a_lead(p1, workspace=seller, state="NY", zip_code="10001")
    buyer_only = a_lead(p2, workspace=buyer, state="IL", zip_code="60601")
    make_conversion(shared, workspace=buyer, conversion_value="500.00", converted_at=at(3, 9))
    make_conversion(routed, workspace=installer, conversion_value="250.00", converted_at=at(3, 10))
    make_conversion(own, workspace=seller, conversion_value="100.00", converted_at=at(2, 12))
    make_conversion(buyer_only, workspace=buyer, conversion_value="75.00", converted_at=at(2, 13))

    for client, held, converted, money in (
        (seller_client, 3, 1, Decimal("100.00")),
        (buyer_client, 2, 2, Decimal("575.00")),
        (installer_client, 1, 1, Decimal("250.00")),
        (staff, 4, 4, Decimal("925.00")),
    ):
        kpis = answers(client)
        assert leads_counted(kpis) == dict.fromkeys(LEAD_KPIS, held)
        assert len(result_ids(client.get("/api/v1/leads/"))) == held
        assert (sum(row["converted_leads"] for row in kpis["providers"]),
                sum(row["converted_leads"] for row in kpis["geography"]),
                stage(kpis, "conversion")) == (converted,) * 3
        assert (sum(row["conversions"] for row in kpis["daily"]),
                sum(row["conversions"] for row in kpis["workspaces"])) == (converted,) * 2
        assert (revenue(kpis["providers"]), revenue(kpis["geography"]), revenue(kpis["daily"]),
                revenue(kpis["workspaces"])) == (money,) * 4


def test_a_revoked_access_stops_counting():
    """Repro: a workspace whose access was revoked still counted the lead (the lead's primary
    column still named it) and its conversion on it, though GET /api/v1/leads/ no longer lists it."""
    holder, holder_client = workspace_with_key()
    buyer, buyer_client = workspace_with_key()
    shared = multisold(make_provider(), holder, buyer)
    patch_status(holder_client, shared, "contacted")
    make_conversion(shared, workspace=holder, conversion_value="300.00", converted_at=at(3, 9))
    make_conversion(shared, workspace=buyer, conversion_value="200.00", converted_at=at(3, 10))
    before = {"holder": answers(holder_client), "buyer": answers(buyer_client)}
    assert leads_counted(before["holder"]) == leads_counted(before["buyer"]) == dict.fromkeys(LEAD_KPIS, 1)

    for workspace in (holder, buyer):
        lead_access_revoke(lead=shared, workspace_id=workspace.pk, by="staff:ops")

    for client in (holder_client, buyer_client):
        assert result_ids(client.get("/api/v1/leads/")) == set()
        kpis = answers(client)
        assert leads_counted(kpis) == dict.fromkeys(LEAD_KPIS, 0)
        assert (stage(kpis, "contacted"), stage(kpis, "conversion")) == (0, 0)
        assert kpis["daily"] == kpis["workspaces"] == kpis["providers"] == kpis["geography"] == []
