"""`POST /api/v1/leads/{id}/return/` and `GET /api/v1/returns/`: a buyer returns only leads it
bought (any other lead is a 404, whoever holds it) and lists only its own returns."""
from datetime import timedelta
from decimal import Decimal as D

import pytest
from django.utils import timezone

from distribution.models import Offer, Sale
from leadhub.testing import assert_error, make_contact, make_lead
from leads.models import Lead
from leadhub.testing.api import IsolationSuite, workspace_with_key
from returns.models import Return

from .helpers import reason, sell

pytestmark = pytest.mark.django_db


@pytest.mark.usefixtures("still_clock")
class TestReturnIsolation(IsolationSuite):
    url_names = ("partner-return-list", "partner-lead-return")
    list_url = "/api/v1/returns/"

    def make_rows(self, workspace, count):
        """`count` returns in four statements (the 200-row baseline stays fast): one contact's leads."""
        contact, offer = make_contact(), Offer.objects.create(workspace=workspace)
        now, why = timezone.now(), reason()
        leads = Lead.objects.bulk_create(Lead(contact=contact, webhook_id=contact.webhook_id, lead_type="solar",
                                              phone=contact.phone) for _ in range(count))
        sales = Sale.objects.bulk_create(Sale(lead=lead, workspace=workspace, offer=offer, price=D("10"),
                                              phone=lead.phone, sold_at=now) for lead in leads)
        Return.objects.bulk_create(Return(sale=sale, lead_id=sale.lead_id, workspace=workspace, reason=why,
                                          requested_at=now, requested_by="test", window_started_at=now)
                                   for sale in sales)

    def make_object(self, workspace):
        """A return of a sale to `workspace` (the rows only: the list reads them, not the money)."""
        lead = make_lead(workspace=workspace)
        offer = Offer.objects.filter(workspace=workspace).first() or Offer.objects.create(workspace=workspace)
        sale = Sale.objects.create(lead=lead, workspace=workspace, offer=offer, price=D("10"), phone=lead.phone,
                                   sold_at=timezone.now())
        now = timezone.now()
        return Return.objects.create(sale=sale, lead=lead, workspace=workspace, reason=reason(), requested_at=now,
                                     requested_by="test", window_started_at=now)

    def test_a_lead_the_caller_did_not_buy_is_not_found(self, tenants):
        workspace_a, client_a, workspace_b, client_b = tenants
        reason()
        lead, [sale] = sell(buyers=[workspace_a])
        nobodys = make_lead()
        for client, lead_id in ((client_b, lead.pk), (client_b, nobodys.pk), (client_a, nobodys.pk),
                                (client_b, 999999999)):
            assert_error(client.post(f"/api/v1/leads/{lead_id}/return/", {"reason": "other"}, format="json"), 404,
                         code="not_found")
        assert not Return.objects.exists()
        answer = client_a.post(f"/api/v1/leads/{lead.pk}/return/", {"reason": "other", "note": "wrong person"},
                               format="json")
        assert answer.status_code == 201, answer.content
        assert (answer.json()["state"], answer.json()["sale_id"]) == ("requested", sale.pk)


def test_the_buyer_returns_and_lists_its_returns_with_their_state():
    reason()
    workspace, client = workspace_with_key()
    lead, [_sale] = sell(buyers=[workspace])
    assert_error(client.post(f"/api/v1/leads/{lead.pk}/return/", {"reason": "bored"}, format="json"), 422,
                 field="reason")
    assert client.post(f"/api/v1/leads/{lead.pk}/return/", {"reason": "other"}, format="json").status_code == 201
    assert_error(client.post(f"/api/v1/leads/{lead.pk}/return/", {"reason": "other"}, format="json"), 409,
                 code="already_returned")
    rows = client.get("/api/v1/returns/").json()["results"]
    assert [(row["lead_id"], row["reason"], row["state"]) for row in rows] == [(lead.pk, "other", "requested")]


def test_the_return_scopes():
    reason()
    workspace, client = workspace_with_key(scopes=["leads:read", "returns:read"])
    lead, _sales = sell(buyers=[workspace])
    refused = client.post(f"/api/v1/leads/{lead.pk}/return/", {"reason": "other"}, format="json")
    assert refused.status_code == 403 and "returns:write" in refused.content.decode()
    _other, reader = workspace_with_key(scopes=["returns:write"])
    assert reader.get("/api/v1/returns/").status_code == 403


def test_past_the_window_the_answer_names_the_limit(still_clock):
    reason()
    workspace, client = workspace_with_key()
    lead, [sale] = sell(buyers=[workspace], at=timezone.now() - timedelta(hours=73))  # the clock stands still
    body = assert_error(client.post(f"/api/v1/leads/{lead.pk}/return/", {"reason": "other"}, format="json"), 409,
                        code="return_window_closed", field="return_window_hours")
    assert "72 hours" in body["message"]
