"""Forwarding end to end: an intake produces exactly one appointment.created delivery to a real
local HTTP receiver, and the appointment mirrors that delivery (the machinery itself is tested in
workspaces/tests/test_delivery.py)."""
import json

import pytest
from django.utils import timezone

from appointments.models import AppointmentEvent, ForwardStatus
from appointments.services.forwarding import appointment_forward_again
from appointments.services.intake import appointment_intake
from appointments.services.status import appointment_status_change
from leadhub.testing import WebhookReceiver, make_webhook, make_workspace
from leads.models import WorkspaceTracking
from providers.signatures import verify
from workspaces.delivery import outbox_deliver
from workspaces.models import OutboundEvent
from workspaces.services import routing_rule_save

# Appointments are posted at fixed times: the clock stands before them (past times are refused).
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("appointment_clock")]

BODY = {
    "customer_name": "Ada Lovelace", "customer_phone": "(415) 234-5678", "customer_zip": "90215",
    "service_type": "Solar", "scheduled_at": "2026-12-01T15:00:00-08:00",
}


def routed_intake(receiver):
    workspace = make_workspace(outbound_webhook_url=receiver.url, webhook_active=True)
    routing_rule_save(workspace=workspace, zip_codes=["902*"], product_types=["solar"])
    appointment = appointment_intake(webhook=make_webhook(), payload=BODY).appointment
    return workspace, appointment


def make_due(event):
    OutboundEvent.objects.filter(pk=event.pk).update(next_attempt_at=timezone.now())


def test_one_signed_forward_and_the_appointment_mirrors_it():
    with WebhookReceiver([(500, "try later", 0), (200, "thanks", 0)]) as receiver:
        workspace, appointment = routed_intake(receiver)
        (event,) = OutboundEvent.objects.filter(subject_type="appointment", subject_id=str(appointment.pk),
                                          event_type="appointment.created")
        outbox_deliver(event_id=event.pk)
        appointment.refresh_from_db()
        assert (appointment.forward_status, appointment.forward_attempts) == (ForwardStatus.PENDING, 1)
        assert appointment.forward_response == "500: try later" and appointment.forwarded_at is None
        make_due(event)
        outbox_deliver(event_id=event.pk)

    appointment.refresh_from_db()
    event.refresh_from_db()
    assert (appointment.forward_status, appointment.forward_attempts) == (ForwardStatus.COMPLETED, 2)
    assert appointment.forwarded_at == event.delivered_at and appointment.forward_response == "200: thanks"
    assert len(receiver.requests) == 2 and set(receiver.event_ids) == {str(event.pk)}
    request = receiver.requests[-1]
    verify(workspace.webhook_secret, request["headers"]["X-Leadhub-Signature"], request["body"])
    envelope = json.loads(request["body"])
    assert (envelope["type"], envelope["data"]["appointment_id"]) == ("appointment.created", appointment.pk)
    tracking = WorkspaceTracking.objects.get(workspace=workspace)
    assert (tracking.action, tracking.contact_id) == ("sent", appointment.contact_id)
    forwarded = AppointmentEvent.objects.get(appointment=appointment, event_type="forwarded")
    assert forwarded.event_data["event_id"] == str(event.pk)


def test_a_400_fails_the_forward_and_forward_again_sends_the_same_event():
    with WebhookReceiver([(400, "bad appointment", 0), (200, "ok", 0)]) as receiver:
        _, appointment = routed_intake(receiver)
        event = OutboundEvent.objects.get(subject_id=str(appointment.pk), event_type="appointment.created")
        outbox_deliver(event_id=event.pk)
        appointment.refresh_from_db()
        assert appointment.forward_status == ForwardStatus.FAILED
        assert appointment.forward_response == "400: bad appointment"
        assert not AppointmentEvent.objects.filter(appointment=appointment, event_type="forwarded").exists()

        appointment_forward_again(appointment=appointment, by="staff:ops")
        appointment.refresh_from_db()
        assert appointment.forward_status == ForwardStatus.PENDING
        outbox_deliver(event_id=event.pk)

    appointment.refresh_from_db()
    assert appointment.forward_status == ForwardStatus.COMPLETED
    assert OutboundEvent.objects.filter(event_type="appointment.created").count() == 1
    assert receiver.event_ids == [str(event.pk)] * 2


def test_a_timeout_keeps_the_forward_pending_for_a_retry(settings):
    settings.OUTBOUND_WEBHOOK_TIMEOUT_SECONDS = 0.2
    with WebhookReceiver([(200, "late", 1)]) as receiver:
        _, appointment = routed_intake(receiver)
        outbox_deliver(event_id=OutboundEvent.objects.get(subject_id=str(appointment.pk), event_type="appointment.created").pk)
    appointment.refresh_from_db()
    assert appointment.forward_status == ForwardStatus.PENDING and appointment.forward_attempts == 1
    assert "timeout" in appointment.forward_response


def test_status_changes_emit_appointment_updated():
    with WebhookReceiver([200]) as receiver:
        _, appointment = routed_intake(receiver)
        appointment_status_change(appointment=appointment, new_status="confirmed", changed_by="rep")
    updated = OutboundEvent.objects.get(event_type="appointment.updated")
    assert (updated.data["status"], updated.data["changes"], updated.subject_id) == (
        "confirmed", ["status"], str(appointment.pk)
    )
    appointment.refresh_from_db()
    assert appointment.forward_status == ForwardStatus.PENDING  # updates do not touch the forward mirror


def test_an_appointment_of_a_lead_held_for_consent_waits_and_is_routed_and_forwarded_once_released():
    from leadhub.testing import make_contact, make_lead
    from leads.holds import lead_hold_release

    with WebhookReceiver([200]) as receiver:
        workspace = make_workspace(outbound_webhook_url=receiver.url, webhook_active=True)
        routing_rule_save(workspace=workspace, zip_codes=["902*"], product_types=["solar"])
        webhook = make_webhook()
        lead = make_lead(make_contact(webhook_id=webhook.webhook_id), zip_code="90215", held_for_consent=True)
        body = {"lead_id": lead.pk, "scheduled_at": BODY["scheduled_at"]}
        appointment = appointment_intake(webhook=webhook, payload=body).appointment
        assert appointment.matched_workspace is None  # no buyer learns of it while the lead is held
        assert appointment.forward_status == ForwardStatus.WAITING
        assert f"lead #{lead.pk} is held" in appointment.routing_method
        assert not OutboundEvent.objects.exists() and not lead.accesses.exists()

        release = lead_hold_release(lead=lead, reason="consent", by="ops:test", note="Consent given on the phone.")
        assert f"#{appointment.pk} to {workspace.pk}" in release.summary
        (event,) = OutboundEvent.objects.filter(subject_type="appointment", subject_id=str(appointment.pk),
                                          event_type="appointment.created")
        lead_hold_release(lead=lead, reason="consent", by="ops:test", note="again")  # not held: nothing more
        assert OutboundEvent.objects.filter(subject_type="appointment", event_type="appointment.created").count() == 1
        outbox_deliver(event_id=event.pk)
    appointment.refresh_from_db()
    assert appointment.matched_workspace == workspace
    assert appointment.forward_status == ForwardStatus.COMPLETED
    assert [json.loads(r["body"])["data"]["appointment_id"] for r in receiver.requests] == [appointment.pk]
