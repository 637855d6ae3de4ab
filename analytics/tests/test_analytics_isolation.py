"""Tenant isolation of the KPI endpoints, on the shared IsolationSuite base.

KPIs are aggregates, not objects: isolation here means workspace A's rows change A's answers and
never B's. The cache is emptied between calls so every answer is computed.
"""
from datetime import timedelta

import pytest
from django.utils import timezone

from analytics.models import ConversionAnalyticsCache
from analytics.tests.test_api import KPI_URLS
from leadhub.testing.api import IsolationSuite
from leadhub.testing import make_appointment, make_conversion, make_lead, make_provider


class TestAnalyticsIsolation(IsolationSuite):
    url_names = (
        "partner-analytics-contact-lead-ratio",
        "partner-analytics-appointment-conversion",
        "partner-analytics-providers",
        "partner-analytics-workspaces",
        "partner-analytics-geography",
        "partner-analytics-daily",
        "partner-analytics-funnel",
    )

    def make_object(self, workspace):
        provider = make_provider()
        lead = make_lead(workspace=workspace, state="CA", zip_code="94105", provider_id=provider.provider_id)
        lead.events.create(event_type="received", event_data={"provider_id": provider.provider_id})
        appointment = make_appointment(lead=lead, matched_workspace=workspace)
        make_conversion(lead, workspace=workspace, conversion_value="250.00")
        return appointment

    def answers(self, client):
        today = timezone.now().date()
        params = {"from": str(today - timedelta(days=1)), "to": str(today)}
        ConversionAnalyticsCache.objects.all().delete()
        responses = {url: client.get(url, params) for url in KPI_URLS}
        assert all(response.status_code == 200 for response in responses.values()), responses
        return {url: response.json()["results"] for url, response in responses.items()}

    @pytest.mark.django_db
    def test_other_workspaces_rows_never_change_my_answers(self, tenants):
        workspace_a, client_a, workspace_b, client_b = tenants
        self.make_object(workspace_b)
        b_before, a_before = self.answers(client_b), self.answers(client_a)

        self.make_object(workspace_a)

        assert self.answers(client_b) == b_before
        a_after = self.answers(client_a)
        changed = [url for url in KPI_URLS if a_after[url] != a_before[url]]
        assert changed == KPI_URLS  # the same rows are visible to their owner in every KPI


class TestSellingReportIsolation(IsolationSuite):
    """The buyers report shows a workspace its own offers only; the per-webhook report (payouts
    and margin are the lead company's figures) is refused to every workspace."""

    url_names = ("partner-analytics-buyers", "partner-analytics-webhooks", "partner-analytics-margin",
                 "partner-analytics-return-rate")

    def make_object(self, workspace):
        from distribution.models import Offer
        from distribution.services import lead_distribute

        offer = Offer.objects.create(workspace=workspace, products=["solar"], zip_codes=["94105"], price="25.00")
        lead_distribute(lead=make_lead(zip_code="94105"), strategy="priority")
        offer.is_active = False  # the next tenant's lead goes to its own offer
        offer.save()
        return offer

    @staticmethod
    def buyers(client):
        ConversionAnalyticsCache.objects.all().delete()
        day = timezone.now().date().isoformat()
        response = client.get("/api/v1/analytics/buyers/", {"from": day, "to": day})
        assert response.status_code == 200, response.content
        return {row["offer_id"]: row["leads_sold"] for row in response.json()["results"]}

    @pytest.mark.django_db
    def test_a_workspace_sees_only_its_own_offers_sales(self, tenants, frozen_clock):
        workspace_a, client_a, workspace_b, client_b = tenants
        offer_b = self.make_object(workspace_b)
        offer_a = self.make_object(workspace_a)
        assert self.buyers(client_a) == {offer_a.pk: 1}
        assert self.buyers(client_b) == {offer_b.pk: 1}

    @pytest.mark.django_db
    def test_the_webhook_report_is_refused_to_every_workspace(self, tenants):
        _, client_a, _, client_b = tenants
        day = "2026-03-03"  # refused whatever the day
        for client in (client_a, client_b):
            for kpi in ("webhooks", "margin", "return-rate"):
                assert client.get(f"/api/v1/analytics/{kpi}/", {"from": day, "to": day}).status_code == 403, kpi


class TestComplianceKpiIsolation(IsolationSuite):
    """Refused posts and held leads per webhook are the lead company's figures: refused to every
    workspace, whoever holds which lead."""

    url_names = ("partner-analytics-compliance",)

    def make_object(self, workspace):
        return make_lead(workspace=workspace, holds=["consent"])

    @pytest.mark.django_db
    def test_the_compliance_report_is_refused_to_every_workspace(self, tenants):
        workspace_a, client_a, _, client_b = tenants
        self.make_object(workspace_a)
        day = "2026-03-03"  # refused whatever the day
        for client in (client_a, client_b):
            assert client.get("/api/v1/analytics/compliance/", {"from": day, "to": day}).status_code == 403
