"""No money input can overflow a stored sum, and no tenant's amounts can break another's writes."""
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from django.db import connection

from conversions.models import Conversion, CurrencyRate
from leadhub.testing.api import workspace_with_key
from leadhub.testing import make_contact, make_lead
from leadhub.models import MONEY_MAX

pytestmark = pytest.mark.django_db
URL = "/api/v1/conversions/"


def names(response, field):
    body = response.json()
    return field in body or field in (body.get("errors") or {})


@pytest.fixture
def partner():
    workspace, client = workspace_with_key()
    return workspace, client, make_lead(make_contact(), workspace=workspace, workspace_status="assigned")


def test_an_amount_over_ten_million_is_422_naming_conversion_value(partner):
    workspace, client, lead = partner
    response = client.post(URL, {"lead_id": lead.pk, "conversion_type": "sale",
                                 "conversion_value": "999999999999.99"}, format="json")
    assert response.status_code == 422, response.content
    assert names(response, "conversion_value")
    assert not Conversion.objects.exists()


def test_ten_million_itself_is_accepted(partner):
    workspace, client, lead = partner
    response = client.post(URL, {"lead_id": lead.pk, "conversion_type": "sale", "conversion_value": str(MONEY_MAX)},
                           format="json")
    assert response.status_code == 201, response.content


def test_the_cap_holds_after_currency_conversion(partner):
    workspace, client, lead = partner
    CurrencyRate.objects.create(currency="EUR", date=date(2026, 2, 2), usd_rate=Decimal("1.5"))
    type(lead).objects.filter(pk=lead.pk).update(created_at=datetime(2026, 1, 1, tzinfo=UTC))  # converted after it
    response = client.post(URL, {"lead_id": lead.pk, "conversion_type": "sale", "conversion_value": "9000000.00",
                                 "currency": "EUR", "converted_at": "2026-02-02T12:00:00Z"}, format="json")
    assert response.status_code == 422, response.content
    assert names(response, "conversion_value")


def test_the_cap_holds_when_a_value_is_patched(partner):
    workspace, client, lead = partner
    created = client.post(URL, {"lead_id": lead.pk, "conversion_type": "sale", "conversion_value": "5"}, format="json")
    response = client.patch(f"{URL}{created.json()['id']}/", {"conversion_value": "10000000.01"}, format="json")
    assert response.status_code == 422, response.content
    assert names(response, "conversion_value")


def test_another_workspaces_large_conversions_on_a_shared_contact_never_fail_mine():
    contact = make_contact()
    big, big_client = workspace_with_key()
    mine, my_client = workspace_with_key()
    big_lead = make_lead(contact, workspace=big, workspace_status="assigned")
    my_lead = make_lead(contact, workspace=mine, workspace_status="assigned")
    for _ in range(3):
        response = big_client.post(URL, {"lead_id": big_lead.pk, "conversion_type": "sale",
                                         "conversion_value": str(MONEY_MAX)}, format="json")
        assert response.status_code == 201, response.content
    response = my_client.post(URL, {"lead_id": my_lead.pk, "conversion_type": "sale", "conversion_value": "12.50"},
                              format="json")
    assert response.status_code == 201, response.content
    contact.refresh_from_db()
    assert contact.lifetime_value == MONEY_MAX * 3 + Decimal("12.50")


@pytest.mark.postgres_only
@pytest.mark.parametrize("table, column", [("workspaces", "total_revenue"), ("contacts", "lifetime_value"),
                                           ("lead_analytics", "total_revenue")])
def test_stored_aggregates_are_numeric_20_2(table, column):
    with connection.cursor() as cursor:
        cursor.execute("SELECT numeric_precision, numeric_scale FROM information_schema.columns "
                       "WHERE table_name = %s AND column_name = %s", [table, column])
        assert cursor.fetchone() == (20, 2)


def test_appointment_estimated_value_over_the_cap_is_refused_naming_it():
    from appointments.intake import clean_appointment

    result = clean_appointment({"scheduled_at": "2030-01-01T10:00:00Z", "estimated_value": "10000000.01"})
    assert "estimated_value" in result.errors
