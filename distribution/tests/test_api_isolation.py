"""`/api/v1/offers/`: a workspace sees and switches only its own offers; pausing needs offers:write.
`/api/v1/workspace/sales/`: a workspace sees only what it bought. `/api/v1/leads/{id}/assign/`
is staff's: no key assigns (sells) a lead, its own or another workspace's."""
from decimal import Decimal

import pytest
from django.utils import timezone

from distribution.models import Cap, Offer, OfferPriceAdjustment, Sale
from distribution.services import lead_simulate
from leadhub.testing.api import IsolationSuite, workspace_with_key
from leadhub.testing import assert_error, make_lead, make_lead_offer

pytestmark = pytest.mark.django_db


class TestOfferIsolation(IsolationSuite):
    url_names = ("partner-offer-list", "partner-offer-detail", "partner-offer-pause", "partner-offer-resume")
    list_url = "/api/v1/offers/"
    detail_url = "/api/v1/offers/{pk}/"
    write_requests = (("post", "/api/v1/offers/{pk}/pause/", {}), ("post", "/api/v1/offers/{pk}/resume/", {}))

    def make_object(self, workspace):
        """An offer with an adjustment and a cap of its own, under a cap of its buyer: the
        baselines count reading each of them and the caps' usage."""
        offer = Offer.objects.create(workspace=workspace, products=["solar"], zip_codes=["94105"])
        OfferPriceAdjustment.objects.create(offer=offer, column="state", op="eq", value="CA", amount=Decimal("2"))
        Cap.objects.create(workspace=workspace, offer=offer, window="day", maximum=Decimal("5"))
        if not Cap.objects.filter(workspace=workspace, offer__isnull=True).exists():
            Cap.objects.create(workspace=workspace, window="month", measure="spend", maximum=Decimal("900"))
        return offer


class TestSaleIsolation(IsolationSuite):
    url_names = ("partner-workspace-sales",)
    list_url = "/api/v1/workspace/sales/"
    filter_params = (
        lambda sale: {"sold_at_after": "2000-01-01T00:00:00Z", "sold_at_before": "2999-01-01T00:00:00Z"},
        lambda sale: {"sold_at__gte": sale.sold_at.isoformat(), "sold_at__lte": sale.sold_at.isoformat()},
    )

    def make_object(self, workspace):
        lead = make_lead(workspace=workspace, zip_code="94105")
        offer = Offer.objects.filter(workspace=workspace).first() or Offer.objects.create(workspace=workspace)
        return Sale.objects.create(lead=lead, workspace=workspace, offer=offer, price=Decimal("12.50"),
                                   phone=lead.phone, sold_at=timezone.now())


class TestLeadAssignIsolation(IsolationSuite):
    url_names = ("staff-lead-assign",)

    def test_no_api_key_sells_a_lead_by_hand(self):
        workspace, client = workspace_with_key(scopes=["leads:read", "leads:write", "offers:write"])
        other, _ = workspace_with_key()
        for lead in (make_lead(workspace=workspace), make_lead(workspace=other), make_lead()):
            for buyer in (workspace, other):
                response = client.post(f"/api/v1/leads/{lead.pk}/assign/", {"workspace_id": buyer.pk, "price": "1"},
                                       format="json")
                assert response.status_code == 403, response.content
        assert not Sale.objects.exists()


def test_pause_and_resume_switch_distribution():
    workspace, client = workspace_with_key()
    offer = make_lead_offer(workspace, zip_codes=["94105"])
    body = client.get("/api/v1/offers/").json()
    row = (body["results"] if isinstance(body, dict) else body)[0]
    assert (row["id"], row["zip_codes"], row["is_paused"], row["time_zone"]) == (offer.pk, ["94105"], False, "UTC")
    paused = client.post(f"/api/v1/offers/{offer.pk}/pause/")
    assert paused.status_code == 200 and paused.json()["is_paused"] is True
    assert lead_simulate(lead=make_lead(zip_code="94105"), strategy="priority").candidates == []  # no candidate
    assert client.post(f"/api/v1/offers/{offer.pk}/resume/").json()["is_paused"] is False


def test_a_paused_offer_at_0_without_a_reason_is_not_resumed():
    workspace, client = workspace_with_key()
    offer = make_lead_offer(workspace, zip_codes=["94105"], zero_price_reason="")
    assert client.post(f"/api/v1/offers/{offer.pk}/pause/").status_code == 200
    assert_error(client.post(f"/api/v1/offers/{offer.pk}/resume/"), 422, field="zero_price_reason")
    offer.refresh_from_db()
    assert offer.paused_at is not None
    Offer.objects.filter(pk=offer.pk).update(price="12.50")
    assert client.post(f"/api/v1/offers/{offer.pk}/resume/").json()["is_paused"] is False


def test_pausing_needs_the_offers_write_scope():
    workspace, client = workspace_with_key(scopes=["leads:read"])
    offer = Offer.objects.create(workspace=workspace)
    assert client.get("/api/v1/offers/").status_code == 200
    response = client.post(f"/api/v1/offers/{offer.pk}/pause/")
    assert response.status_code == 403
    assert "offers:write" in response.content.decode()
    offer.refresh_from_db()
    assert offer.paused_at is None
