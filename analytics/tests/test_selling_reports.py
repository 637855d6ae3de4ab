"""Selling reports in the KPI API (cached like the others) and the dashboard: per buyer and offer
(leads sold, sales, cap usage, verdicts by reason) and per webhook (sold/unsold, sales, payouts,
margin from the ledger)."""
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone
from rest_framework.test import APIClient

from distribution.models import Cap, Offer, Sale
from distribution.services import lead_distribute, sale_undelivered
from leadhub.testing import assert_error, make_lead, make_webhook, make_workspace
from leadhub.testing.api import key_client

pytestmark = pytest.mark.django_db


@pytest.fixture
def selling(frozen_clock):  # its buyer has a daily cap, and the reports ask for today
    webhook = make_webhook(payout_kind="share", payout_share=Decimal("50"))
    buyer = make_workspace(permissions=["analytics:read"])
    capped = Offer.objects.create(workspace=buyer, products=["solar"], price=Decimal("30"), priority=5)
    fallback = Offer.objects.create(workspace=make_workspace(), products=["solar"], price=Decimal("10"))
    Cap.objects.create(workspace=buyer, offer=capped, window="day", maximum=2)
    leads = [make_lead(zip_code="94105", webhook_id=webhook.webhook_id) for _ in range(3)]
    for lead in leads:
        lead_distribute(lead=lead, strategy="priority", webhook=webhook)
    make_lead(zip_code="10001", webhook_id=webhook.webhook_id, held_for_consent=True)  # never distributed
    unsold = make_lead(zip_code="94105", webhook_id=webhook.webhook_id, held_for_consent=True)
    lead_distribute(lead=unsold, strategy="priority", webhook=webhook)
    sale_undelivered(lead_id=leads[0].pk, workspace_id=buyer.pk)  # credited; its offering again is after commit
    return {"webhook": webhook, "buyer": buyer, "capped": capped, "fallback": fallback}


@pytest.fixture
def staff_client(db):
    user = get_user_model().objects.create_user("ops-sell", password="x", is_staff=True, is_superuser=True)
    client = APIClient()
    client.force_login(user)
    return client


def today():
    day = timezone.now().date().isoformat()
    return {"from": day, "to": day}


def test_per_webhook_sold_unsold_sales_payouts_margin(selling, staff_client):
    body = staff_client.get("/api/v1/analytics/webhooks/", today()).json()
    (row,) = body["results"]
    # sales 30 + 30 + 10 - 30 credited = 40; payouts half of each sale = 35
    assert row == {"webhook_id": selling["webhook"].webhook_id, "sold_leads": 3, "unsold_leads": 1,
                   "sales": "40.00", "payouts": "35.00", "margin": "5.00"}
    assert staff_client.get("/api/v1/analytics/webhooks/", today()).json()["cached"] is True


def test_per_buyer_and_offer_for_staff_and_for_the_buyer_itself(selling, staff_client):
    rows = {row["offer_id"]: row for row in staff_client.get("/api/v1/analytics/buyers/", today()).json()["results"]}
    capped = rows[selling["capped"].pk]
    assert (capped["leads_sold"], capped["sales"]) == (2, "30.00")  # 2 × 30, one credited
    (cap,) = capped["caps"]
    assert (cap["scope"], cap["window"], cap["used"], cap["maximum"]) == ("offer", "day", 2, "2.00")
    assert capped["verdicts"] == {"cap:offer:day": 1, "consent_hold": 1, "eligible": 2}
    assert rows[selling["fallback"].pk]["leads_sold"] == 1
    client = key_client(selling["buyer"])
    mine = client.get("/api/v1/analytics/buyers/", today()).json()
    assert {row["offer_id"] for row in mine["results"]} == {selling["capped"].pk}
    assert_error(client.get("/api/v1/analytics/webhooks/", today()), 403)


def test_the_dashboard_shows_both(selling, staff_client):
    response = staff_client.get("/admin/dashboard/", today())
    assert response.status_code == 200
    text = response.content.decode()
    assert "Webhooks: sold and unsold, sales, payouts, margin" in text and "Buyers and offers" in text
    assert Sale.objects.count() == 3
