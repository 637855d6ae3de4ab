"""Accepted appointment posts count in the provider's usage log like lead posts, and refused ones
can be re-processed through the same intake service."""
import json

import pytest

from appointments.models import Appointment
from leadhub.testing import make_provider, make_webhook
from providers.models import ProviderUsageLog
from providers.services.rejected import rejected_submission_record, rejected_submission_reprocess
from appointments.services.intake import appointment_intake

# Appointments are posted at fixed times: the clock stands before them (past times are refused).
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("appointment_clock")]

BODY = {"customer_name": "Grace Brewster Hopper", "customer_phone": "(415) 867-5309", "customer_zip": "94105",
        "service_type": "Solar", "scheduled_at": "2026-12-01T15:00:00-08:00"}


def test_accepted_appointment_counts_in_the_usage_log():
    webhook, provider = make_webhook(), make_provider()
    appointment_intake(webhook=webhook, payload=BODY, provider=provider)
    appointment_intake(webhook=webhook, payload={**BODY, "scheduled_at": "2026-12-02T15:00:00-08:00"}, provider=provider)
    row = ProviderUsageLog.objects.get(provider=provider, webhook_id=webhook.webhook_id)
    assert row.request_count == 2
    provider.refresh_from_db()
    assert provider.last_used_at is not None


def test_a_refused_appointment_post_is_reprocessed_once_through_intake():
    webhook, provider = make_webhook(), make_provider()
    stored = rejected_submission_record(
        webhook_id=webhook.webhook_id, provider_id=provider.provider_id, reason_code="signature_invalid",
        reason="Signature does not match.", http_status=401, body=json.dumps(BODY).encode(),
        content_type="application/json", request_id="req-a", endpoint="appointment",
    )

    first = rejected_submission_reprocess(submission=stored)
    second = rejected_submission_reprocess(submission=stored)

    appointment = Appointment.objects.get(pk=first.reprocessed_object_id)
    assert appointment.customer_phone == "+14158675309"
    assert second.reprocessed_object_id == first.reprocessed_object_id
    assert Appointment.objects.count() == 1
