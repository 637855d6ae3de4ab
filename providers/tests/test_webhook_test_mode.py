"""A webhook in test mode: posts are checked and answered as usual, and nothing is stored."""
import json

import pytest

from appointments.models import Appointment
from contacts.models import Contact
from leadhub.testing import provider_post, valid_phone
from leads.models import Lead
from providers.models import RejectedSubmission
from providers.signatures import sign

# Appointments are posted at fixed times: the clock stands before them (past times are refused).
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("appointment_clock")]
# `webhook` and `provider` (keyed with PROVIDER_API_KEY) are the shared fixtures of conftest.py.

LEAD = {"first_name": "Ada", "last_name": "Lovelace", "email": "ada@example.com", "consent_value": "yes",
        "tcpa_compliance": "yes"}
APPOINTMENT = {"customer_name": "Grace Hopper", "customer_zip": "90215", "service_type": "Solar",
               "scheduled_at": "2026-12-01T15:00:00-08:00"}


@pytest.fixture
def test_webhook(webhook):
    webhook.test_mode = True
    webhook.save(update_fields=["test_mode"])
    return webhook


def nothing_stored():
    return not (Lead.objects.exists() or Contact.objects.exists() or Appointment.objects.exists()
                or RejectedSubmission.objects.exists())


def test_a_valid_lead_is_answered_and_not_stored(client, test_webhook, provider):
    response = provider_post(client, f"/api/v1/webhooks/{test_webhook.webhook_id}/leads/",
                             {**LEAD, "phone": valid_phone()}, provider=provider)
    assert response.status_code == 200, response.content
    assert response.json() == {"outcome": "success", "test_mode": True,
                               "reason": "Test mode: this lead is valid and was not stored."}
    assert nothing_stored()
    test_webhook.refresh_from_db()
    assert test_webhook.total_leads == 0


def test_an_invalid_lead_gets_the_usual_422_and_no_rejected_submission(client, test_webhook, provider):
    response = provider_post(client, f"/api/v1/webhooks/{test_webhook.webhook_id}/leads/",
                             {**LEAD, "phone": "555", "email": "ada@"}, provider=provider)
    assert response.status_code == 422, response.content
    assert set(response.json()["errors"]) == {"phone", "email"}
    assert nothing_stored()


def test_the_usual_auth_and_signature_checks_still_run(client, test_webhook, provider):
    test_webhook.secret_key = "test-mode-secret"
    test_webhook.save(update_fields=["secret_key"])
    body = json.dumps({**LEAD, "phone": valid_phone()})
    path = f"/api/v1/webhooks/{test_webhook.webhook_id}/leads/"
    assert provider_post(client, path, body, provider=provider).status_code == 401
    assert provider_post(client, path, body, provider=provider, key="wrong").status_code == 401
    signed = provider_post(client, path, body, provider=provider,
                           headers={"X-Leadhub-Signature": sign("test-mode-secret", body.encode())})
    assert signed.status_code == 200 and signed.json()["test_mode"] is True
    assert nothing_stored()


def test_an_appointment_is_answered_and_not_stored(client, test_webhook, provider):
    path = f"/api/v1/webhooks/{test_webhook.webhook_id}/appointments/"
    ok = provider_post(client, path, {**APPOINTMENT, "customer_phone": valid_phone()}, provider=provider)
    assert ok.status_code == 200, ok.content
    assert ok.json()["test_mode"] is True and "appointment" in ok.json()["reason"]
    bad = provider_post(client, path, {**APPOINTMENT, "scheduled_at": "tomorrow"}, provider=provider)
    assert bad.status_code == 422 and "scheduled_at" in bad.json()["errors"]
    assert nothing_stored()


def test_out_of_test_mode_the_same_post_stores_the_lead(client, webhook, provider):
    response = provider_post(client, f"/api/v1/webhooks/{webhook.webhook_id}/leads/",
                             {**LEAD, "phone": valid_phone()}, provider=provider)
    assert response.status_code == 201 and "test_mode" not in response.json()
    assert Lead.objects.filter(pk=response.json()["lead_id"]).exists()


def test_test_mode_refuses_a_past_appointment_as_the_live_webhook_would(client, test_webhook, provider):
    response = provider_post(client, f"/api/v1/webhooks/{test_webhook.webhook_id}/appointments/",
                             {**APPOINTMENT, "customer_phone": valid_phone(), "scheduled_at": "2026-10-01T15:00:00Z"},
                             provider=provider)
    assert response.status_code == 422, response.content
    assert "in the past" in response.json()["errors"]["scheduled_at"][0]
