"""Each KPI on the fixed data set of conftest.kpi_data, answers computed by hand."""
from datetime import date
from decimal import Decimal

import pytest

from analytics import selectors
from analytics.tests.conftest import FROM, TO
from leads.models import LeadPipelineStage

pytestmark = pytest.mark.django_db
OPS = {"workspace_id": None, "date_from": FROM, "date_to": TO}
WS_A = {**OPS, "workspace_id": "ws-a"}
WS_B = {**OPS, "workspace_id": "ws-b"}


def test_contact_lead_ratio(kpi_data):
    assert selectors.contact_lead_ratio(**OPS) == {
        "overall": {"leads": 5, "contacts": 4, "ratio": 1.25},
        "by_lead_type": [
            {"lead_type": "hvac", "leads": 2, "contacts": 2, "ratio": 1.0},
            {"lead_type": "insurance", "leads": 1, "contacts": 1, "ratio": 1.0},
            {"lead_type": "solar", "leads": 2, "contacts": 1, "ratio": 2.0},
        ],
    }
    # ws-a holds l4 too (ws-b's lead, its appointment routed to ws-a): a workspace counts every lead it holds.
    assert selectors.contact_lead_ratio(**WS_A)["overall"] == {"leads": 4, "contacts": 3, "ratio": 1.3333}
    empty = selectors.contact_lead_ratio(workspace_id=None, date_from=date(2020, 1, 1), date_to=date(2020, 1, 2))
    assert empty == {"overall": {"leads": 0, "contacts": 0, "ratio": 0.0}, "by_lead_type": []}


def test_appointment_conversion_counts_only_the_routed_workspaces_conversions(kpi_data):
    assert selectors.appointment_conversion(**OPS) == {
        "overall": {"appointments": 4, "converted": 2, "conversion_rate": 50.0},
        "by_appointment_type": [
            {"appointment_type": "consultation", "appointments": 2, "converted": 1, "conversion_rate": 50.0},
            {"appointment_type": "estimate", "appointments": 1, "converted": 1, "conversion_rate": 100.0},
            {"appointment_type": "follow_up", "appointments": 1, "converted": 0, "conversion_rate": 0.0},
        ],
    }
    assert selectors.appointment_conversion(**WS_A)["overall"] == {
        "appointments": 3, "converted": 2, "conversion_rate": 66.67,
    }
    assert selectors.appointment_conversion(**WS_B)["overall"] == {
        "appointments": 0, "converted": 0, "conversion_rate": 0.0,
    }


def test_provider_performance(kpi_data):
    assert selectors.provider_performance(**OPS) == [
        {"provider_id": "p1", "leads": 2, "converted_leads": 2, "conversion_rate": 100.0,
         "revenue": Decimal("1100.00"), "rejected_submissions": 3, "rejection_rate": 60.0},
        {"provider_id": "p2", "leads": 2, "converted_leads": 2, "conversion_rate": 100.0,
         "revenue": Decimal("800.00"), "rejected_submissions": 1, "rejection_rate": 33.33},
        {"provider_id": None, "leads": 1, "converted_leads": 0, "conversion_rate": 0.0,
         "revenue": Decimal("0.00"), "rejected_submissions": 1, "rejection_rate": 50.0},
    ]
    # A workspace sees the leads it holds (l4 by its routed appointment; ws-b's conversion of it is
    # not ws-a's), and no rejected submissions (they belong to no workspace).
    assert selectors.provider_performance(**WS_A) == [
        {"provider_id": "p1", "leads": 2, "converted_leads": 2, "conversion_rate": 100.0,
         "revenue": Decimal("1100.00"), "rejected_submissions": None, "rejection_rate": None},
        {"provider_id": "p2", "leads": 2, "converted_leads": 1, "conversion_rate": 50.0,
         "revenue": Decimal("500.00"), "rejected_submissions": None, "rejection_rate": None},
    ]


def test_workspace_efficiency_median_and_mean(kpi_data):
    assert selectors.workspace_efficiency(**OPS) == [
        {"workspace_id": "ws-a", "conversions": 4, "revenue": Decimal("1800.00"),
         "mean_seconds_to_conversion": 8400.0, "median_seconds_to_conversion": 7200.0},
        {"workspace_id": "ws-b", "conversions": 1, "revenue": Decimal("300.00"),
         "mean_seconds_to_conversion": 86400.0, "median_seconds_to_conversion": 86400.0},
    ]
    assert [row["workspace_id"] for row in selectors.workspace_efficiency(**WS_B)] == ["ws-b"]


def test_workspace_efficiency_even_count_median_interpolates(kpi_data):
    from conversions.models import Conversion

    Conversion.objects.filter(conversion_value=Decimal("200.00")).delete()  # the lead-less one
    Conversion.objects.filter(conversion_value=Decimal("100.00")).delete()  # 3600 s
    [row] = selectors.workspace_efficiency(**WS_A)
    assert (row["mean_seconds_to_conversion"], row["median_seconds_to_conversion"]) == (10800.0, 10800.0)


def test_geographic_performance_by_state_and_zip(kpi_data):
    assert selectors.geographic_performance(**OPS) == [
        {"state": "CA", "leads": 2, "converted_leads": 2, "conversion_rate": 100.0, "revenue": Decimal("1100.00")},
        {"state": "IL", "leads": 2, "converted_leads": 2, "conversion_rate": 100.0, "revenue": Decimal("800.00")},
        {"state": "NY", "leads": 1, "converted_leads": 0, "conversion_rate": 0.0, "revenue": Decimal("0.00")},
    ]
    by_zip = selectors.geographic_performance(**OPS, group="zip", limit=3)
    assert [(row["zip"], row["leads"], row["revenue"]) for row in by_zip] == [
        ("94105", 1, Decimal("1000.00")), ("60601", 2, Decimal("800.00")), ("94107", 1, Decimal("100.00")),
    ]
    assert selectors.geographic_performance(**WS_B) == [
        {"state": "IL", "leads": 1, "converted_leads": 1, "conversion_rate": 100.0, "revenue": Decimal("300.00")},
    ]


def test_daily_series_per_lead_type(kpi_data):
    assert selectors.daily_series(**OPS) == [
        {"date": date(2025, 4, 1), "lead_type": "solar", "leads": 2, "conversions": 2, "revenue": Decimal("1100.00")},
        {"date": date(2025, 4, 2), "lead_type": "hvac", "leads": 2, "conversions": 1, "revenue": Decimal("500.00")},
        {"date": date(2025, 4, 3), "lead_type": "hvac", "leads": 0, "conversions": 1, "revenue": Decimal("300.00")},
        {"date": date(2025, 4, 3), "lead_type": "insurance", "leads": 1, "conversions": 0, "revenue": Decimal("0.00")},
    ]
    assert selectors.daily_series(**WS_B) == [
        {"date": date(2025, 4, 2), "lead_type": "hvac", "leads": 1, "conversions": 0, "revenue": Decimal("0.00")},
        {"date": date(2025, 4, 3), "lead_type": "hvac", "leads": 0, "conversions": 1, "revenue": Decimal("300.00")},
    ]


def funnel(**scope):
    return [(step["step"], step["leads"]) for step in selectors.pipeline_funnel(**scope) if step["leads"]]


def test_funnel_counts_leads_that_ever_reached_each_stage(kpi_data):
    assert funnel(**OPS) == [
        ("leads", 5), ("new", 5), ("contacted", 2), ("qualified", 1), ("appointment", 4), ("conversion", 4),
    ]
    # ws-b's one lead had its appointment routed to ws-a: not ws-b's to see.
    assert funnel(**WS_B) == [("leads", 1), ("new", 1), ("conversion", 1)]


def test_funnel_follows_configured_order_and_keeps_deactivated_stages_with_history(kpi_data):
    LeadPipelineStage.objects.filter(name="qualified").update(order_index=0)
    LeadPipelineStage.objects.filter(name__in=["contacted", "negotiating"]).update(is_active=False)

    steps = selectors.pipeline_funnel(**OPS)
    names = [step["step"] for step in steps]

    assert names[:3] == ["leads", "qualified", "new"]
    assert "negotiating" not in names  # inactive and never used
    contacted = next(step for step in steps if step["step"] == "contacted")
    assert (contacted["leads"], contacted["is_active"]) == (2, False)
