from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone
from rest_framework.test import APIClient

from analytics.models import ConversionAnalyticsCache
from analytics.services import analytics_cache_purge
from analytics.tasks import purge_analytics_cache
from leadhub.testing.api import key_client
from leadhub.testing import assert_error, make_lead

pytestmark = pytest.mark.django_db
RANGE = {"from": "2025-04-01", "to": "2025-04-03"}
KPI_URLS = [
    "/api/v1/analytics/contact-lead-ratio/",
    "/api/v1/analytics/appointment-conversion/",
    "/api/v1/analytics/providers/",
    "/api/v1/analytics/workspaces/",
    "/api/v1/analytics/geography/",
    "/api/v1/analytics/daily/",
    "/api/v1/analytics/funnel/",
]
RATIO = KPI_URLS[0]


@pytest.fixture
def staff_client(db):
    user = get_user_model().objects.create_user("ops", password="x", is_staff=True, is_superuser=True)
    client = APIClient()
    client.force_login(user)
    return client


def grant(workspace, scopes):
    workspace.permissions = scopes
    workspace.save(update_fields=["permissions"])
    return key_client(workspace)


@pytest.mark.parametrize("url", KPI_URLS)
def test_every_kpi_answers_staff_with_the_range_echoed(kpi_data, staff_client, url):
    response = staff_client.get(url, RANGE)

    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["from"], body["to"], body["workspace"], body["cached"]) == ("2025-04-01", "2025-04-03", None, False)
    assert body["results"]


def test_workspace_key_sees_only_its_own_figures_and_staff_may_narrow(kpi_data, staff_client):
    client_a = grant(kpi_data["ws_a"], ["analytics:read"])

    mine = client_a.get(RATIO, RANGE).json()
    assert (mine["workspace"], mine["results"]["overall"]["leads"]) == ("ws-a", 4)  # l4 by its routed appointment
    assert staff_client.get(RATIO, RANGE).json()["results"]["overall"]["leads"] == 5
    narrowed = staff_client.get(RATIO, {**RANGE, "workspace": "ws-b"}).json()
    assert (narrowed["workspace"], narrowed["results"]["overall"]["leads"]) == ("ws-b", 1)

    refused = client_a.get(RATIO, {**RANGE, "workspace": "ws-b"})
    assert_error(refused, 400, field="workspace")
    assert staff_client.get(RATIO, {**RANGE, "workspace": "nope"}).status_code == 404


def test_money_is_a_decimal_string_in_json(kpi_data, staff_client):
    results = staff_client.get("/api/v1/analytics/providers/", RANGE).json()["results"]
    assert results[0]["revenue"] == "1100.00"


def test_scope_and_credentials_are_required(kpi_data):
    no_scope = grant(kpi_data["ws_a"], ["leads:read"])
    response = no_scope.get(RATIO, RANGE)
    assert response.status_code == 403
    assert "analytics:read" in response.content.decode()
    assert APIClient().get(RATIO, RANGE).status_code == 401


@pytest.mark.parametrize(
    ("url", "params", "field"),
    [
        (RATIO, {"from": "01/04/2025"}, "from"),
        (RATIO, {"to": "2025-13-01"}, "to"),
        (RATIO, {"from": "2025-04-03", "to": "2025-04-01"}, "from"),
        ("/api/v1/analytics/geography/", {"group": "county"}, "group"),
        ("/api/v1/analytics/geography/", {"limit": "0"}, "limit"),
    ],
)
def test_bad_query_parameters_get_400_naming_the_field(staff_client, url, params, field):
    assert_error(staff_client.get(url, params), 400, code="invalid_request", field=field)


def test_answers_are_cached_per_caller_until_they_expire(kpi_data, staff_client):
    client_a = grant(kpi_data["ws_a"], ["analytics:read"])
    first = client_a.get(RATIO, RANGE).json()
    make_lead(kpi_data["leads"][0].contact, workspace=kpi_data["ws_a"])  # created today: outside RANGE
    make_lead(kpi_data["leads"][0].contact, workspace=kpi_data["ws_a"])

    today = {"from": "2025-04-01", "to": str(timezone.now().date())}
    before = client_a.get(RATIO, today).json()
    assert before["cached"] is False and before["results"]["overall"]["leads"] == 6

    second = client_a.get(RATIO, RANGE).json()
    assert second["cached"] is True and second["results"] == first["results"]

    # Another caller with the same query does not read ws-a's row.
    assert staff_client.get(RATIO, RANGE).json()["cached"] is False

    make_lead(kpi_data["leads"][0].contact, workspace=kpi_data["ws_a"])
    assert client_a.get(RATIO, today).json()["results"]["overall"]["leads"] == 6  # still the cached answer
    ConversionAnalyticsCache.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    fresh = client_a.get(RATIO, today).json()
    assert fresh["cached"] is False and fresh["results"]["overall"]["leads"] == 7


def test_cache_rows_expire_after_the_configured_ttl_and_are_purged(kpi_data, staff_client, settings, frozen_clock):
    settings.ANALYTICS_CACHE_TTL_SECONDS = 120
    started = timezone.now()
    staff_client.get(RATIO, RANGE)
    staff_client.get("/api/v1/analytics/daily/", RANGE)
    rows = list(ConversionAnalyticsCache.objects.all())
    assert len(rows) == 2
    assert all(row.expires_at - started == timedelta(seconds=120) for row in rows)
    assert rows[0].cache_key.split(":")[:2] in (["contact-lead-ratio", "ops"], ["daily", "ops"])

    assert analytics_cache_purge() == 0
    ConversionAnalyticsCache.objects.filter(pk=rows[0].pk).update(expires_at=started - timedelta(seconds=1))
    assert purge_analytics_cache() == 1
    assert list(ConversionAnalyticsCache.objects.values_list("pk", flat=True)) == [rows[1].pk]
