"""The compliance KPI (`GET /api/v1/analytics/compliance/`, the dashboard's "compliance" chart):
posts refused and holds placed, by compliance reason, per UTC day and webhook, counted against the
rows themselves; staff only, cached like the other KPIs."""
from collections import Counter
from datetime import UTC, date, datetime

import pytest
from django.contrib.auth import get_user_model
from rest_framework.test import APIClient

from analytics.dashboard import compliance
from leadhub.testing import assert_error, backdate, make_lead, make_workspace
from leadhub.testing.api import key_client
from leads.holds import lead_hold_place
from leads.models import LeadHold
from providers.models import RejectedSubmission
from providers.services.rejected import rejected_submission_record

pytestmark = pytest.mark.django_db

RANGE = {"from": "2025-04-01", "to": "2025-04-02"}


def at(day, hour=12):
    return datetime(2025, 4, day, hour, tzinfo=UTC)


@pytest.fixture
def refusals_and_holds(db):
    """Two webhooks over three days (the third outside the range): refused posts of each
    compliance reason and one that is not (validation), holds placed at ingest and by ops."""
    for webhook_id, code, day in [
        ("wh-a", "duplicate", 1), ("wh-a", "duplicate", 1), ("wh-a", "suppressed", 1), ("wh-a", "validation", 1),
        ("wh-a", "evidence_invalid", 2), ("wh-b", "consent_evidence_missing", 2), ("wh-b", "duplicate", 2),
        ("wh-b", "duplicate", 3),
    ]:
        row = rejected_submission_record(webhook_id=webhook_id, provider_id="p1", reason_code=code, reason=code,
                                         http_status=422)
        backdate(row, created_at=at(day, hour=23))  # late in the UTC day: still that day
    for webhook_id, holds, day in [
        ("wh-a", ["consent"], 1), ("wh-a", ["consent", "evidence"], 1), ("wh-b", ["duplicate"], 2),
        ("wh-b", ["suppressed"], 3),
    ]:
        lead = make_lead(webhook_id=webhook_id, holds=holds)
        LeadHold.objects.filter(lead=lead).update(placed_at=at(day, hour=0))
    later = make_lead(webhook_id="wh-b")
    hold = lead_hold_place(lead=later, reason="duplicate", by="staff:ops", message="Same person as #1")
    LeadHold.objects.filter(pk=hold.pk).update(placed_at=at(2, hour=8))


@pytest.fixture
def staff_client(db):
    user = get_user_model().objects.create_user("ops-compliance", password="x", is_staff=True, is_superuser=True)
    client = APIClient()
    client.force_login(user)
    return client


def counted_from_rows():
    """What the KPI must say, counted from the rows one by one."""
    start, end = at(1, 0), at(3, 0)
    refused = Counter(
        (row.created_at.date().isoformat(), row.webhook_id, row.reason_code)
        for row in RejectedSubmission.objects.filter(created_at__gte=start, created_at__lt=end)
        if row.reason_code in ("duplicate", "suppressed", "evidence_invalid", "consent_evidence_missing")
    )
    held = Counter(
        (hold.placed_at.date().isoformat(), hold.lead.webhook_id, hold.reason)
        for hold in LeadHold.objects.filter(placed_at__gte=start, placed_at__lt=end).select_related("lead")
    )
    return refused, held


def test_refusals_and_holds_per_day_and_webhook_match_the_rows(refusals_and_holds, staff_client):
    body = staff_client.get("/api/v1/analytics/compliance/", RANGE).json()

    assert (body["kpi"], body["cached"]) == ("compliance", False)
    results = body["results"]
    assert [(row["date"], row["webhook_id"]) for row in results] == [
        ("2025-04-01", "wh-a"), ("2025-04-02", "wh-a"), ("2025-04-02", "wh-b")]
    refused, held = counted_from_rows()
    assert {(row["date"], row["webhook_id"], reason): n
            for row in results for reason, n in row["refused"].items() if n} == refused
    assert {(row["date"], row["webhook_id"], reason): n
            for row in results for reason, n in row["held"].items() if n} == held
    assert results[0]["refused"] == {"consent_evidence_missing": 0, "evidence_invalid": 0, "suppressed": 1,
                                     "duplicate": 2}  # every reason, 0 when none; `validation` is no compliance reason
    assert results[0]["held"] == {"consent": 2, "evidence": 1, "suppressed": 0, "duplicate": 0}
    assert results[2]["held"]["duplicate"] == 2  # one at ingest, one placed by ops
    assert staff_client.get("/api/v1/analytics/compliance/", RANGE).json()["cached"] is True


def test_the_compliance_kpi_is_refused_to_workspaces(refusals_and_holds):
    client = key_client(make_workspace(permissions=["analytics:read"]))
    assert_error(client.get("/api/v1/analytics/compliance/", RANGE), 403)


def test_the_dashboard_shows_the_counts_per_day_and_webhook(refusals_and_holds, admin_client):
    chart = compliance(date(2025, 4, 1), date(2025, 4, 2))
    assert chart.columns[:3] == ["date", "webhook_id", "refused_consent_evidence_missing"]
    assert chart.rows[0][:2] == ["2025-04-01", "wh-a"]
    assert sum(sum(row[2:]) for row in chart.rows) == sum(sum(counts.values()) for counts in counted_from_rows())

    page = admin_client.get("/admin/dashboard/", {"date_from": "2025-04-01", "date_to": "2025-04-02"})
    assert page.status_code == 200
    assert "Compliance: posts refused and leads held" in page.content.decode()
