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
