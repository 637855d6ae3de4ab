"""An appointment's events to its workspace: the `appointment.created` delivery that is its forward,
its mirror on the appointment, "Forward again", and the events that waited for a held lead.
"""

from django.db import transaction
from django.utils import timezone

from appointments.models import Appointment, AppointmentEvent, AppointmentLead, ForwardStatus
from appointments.services.common import AppointmentInvalid, appointment_lock
from compliance.windows import call_opens_at, consumer_locale
from leadhub.actors import SYSTEM
from leads.calling import lead_call_wait, lead_deliveries_check
from leads.models import TrackingAction, WorkspaceTracking
from workspaces.delivery import SEND, Release, outbound_event_redeliver, outbox_emit, outbox_release
from workspaces.models import DeliveryStatus, EventType, OutboundEvent, Workspace

SUBJECT_TYPE = "appointment"  # outbox rows about an appointment: subject_id is its id


def appointment_event_send(appointment, event_type, data):
    """An event about an appointment, which names its leads' person: while one of them is held
    (a hold placed after it was routed) it waits and goes out at the release, in order. Its
    `appointment.created` to a buyer that calls consumers leaves inside the consumer's calling
    window."""
    held = appointment.lead_links.exclude(lead__hold_reasons="").exists()
    workspace, wait = appointment.matched_workspace, {}
    if event_type == EventType.APPOINTMENT_CREATED and workspace is not None and workspace.calls_consumers:
        not_before, why = appointment_call_wait(appointment, workspace)
        wait = {"calling_window": True, "not_before": not_before, "wait_reason": why}
    return outbox_emit(
        workspace=workspace, event_type=event_type, data=data,
        contact_id=appointment.contact_id, subject_type=SUBJECT_TYPE, subject_id=str(appointment.pk), held=held,
        **wait,
    )


def appointment_call_wait(appointment, workspace, at=None):
    """When `workspace` may call the appointment's consumer: as its lead's, else by its own ZIP and phone."""
    if appointment.lead_id is not None:
        return lead_call_wait(lead=appointment.lead, workspace=workspace, at=at)
    locale = consumer_locale(zip_code=appointment.customer_zip, phone=appointment.customer_phone,
                             fallback_zone=workspace.time_zone)
    return call_opens_at(locale=locale, at=at or timezone.now())


def appointment_deliveries_check(events) -> dict:
    """{event id: Release} for due waiting deliveries about appointments: as their leads' (the
    gate and the window again); an appointment without a lead by its own window; a deleted one refused."""
    appointments = Appointment.objects.only("id", "lead_id", "customer_zip", "customer_phone").in_bulk(
        {int(event.subject_id) for event in events})
    with_lead = {e.pk: appointments[int(e.subject_id)].lead_id for e in events
                 if int(e.subject_id) in appointments and appointments[int(e.subject_id)].lead_id}
    verdicts = lead_deliveries_check([e for e in events if e.pk in with_lead], lead_ids=with_lead) if with_lead else {}
    now = timezone.now()
    for event in events:
        appointment = appointments.get(int(event.subject_id))
        if appointment is None:
            verdicts[event.pk] = Release("refuse", reason="refused: the appointment was deleted")
        elif event.pk not in with_lead and event.workspace is not None:
            opens, why = appointment_call_wait(appointment, event.workspace, at=now)
            verdicts[event.pk] = Release("wait", opens, why) if opens > now else SEND
    return verdicts


def appointment_events_released(*, lead) -> int:
    """Send the events about the lead's appointments that waited while it was held."""
    sent = 0
    for appointment_id in AppointmentLead.objects.filter(lead=lead).values_list("appointment_id", flat=True):
        sent += outbox_release(subject_type=SUBJECT_TYPE, subject_id=appointment_id)
    return sent


def appointment_forward(appointment):
    """Queue the `appointment.created` delivery to the matched workspace: that delivery IS the
    forward, and `appointment_forward_mirror` copies its state onto the appointment. An
    appointment covering a held lead is not routed until the lead is released
    (`appointments_released`), so nothing of a held lead is forwarded.

    When nothing is queued the appointment says why, truthfully, instead of staying pending:
    - the workspace has no outbound webhook URL: it reads its appointments through the partner
      API (`GET /api/v1/appointments/`), which is a way of working, not a failure: `api`;
    - it has a URL but does not subscribe to `appointment.created`: it asked for pushes and this
      one cannot reach it, which ops should see: `failed` (a switched-off webhook is `failed` too,
      through the delivery's `skipped` state, `appointment_forward_mirror`)."""
    event = appointment_event_send(appointment, EventType.APPOINTMENT_CREATED, appointment_payload(appointment))
    if event is None:
        workspace_id = appointment.matched_workspace_id
        has_url = Workspace.objects.filter(pk=workspace_id).exclude(outbound_webhook_url="").exists()
        if has_url:
            appointment.forward_status = ForwardStatus.FAILED
            appointment.forward_response = (
                f"Not sent: workspace '{workspace_id}' has an outbound webhook URL but does not subscribe to "
                f"{EventType.APPOINTMENT_CREATED}."
            )
        else:
            appointment.forward_status = ForwardStatus.API
            appointment.forward_response = (
                f"Not pushed: workspace '{workspace_id}' has no outbound webhook URL and reads its appointments "
                "through the partner API (GET /api/v1/appointments/)."
            )
        appointment.save(update_fields=["forward_status", "forward_response", "updated_at"])
    return event


# Delivery state → forward_status. `skipped` (the workspace's webhook is off) is not a forward.
FORWARD_STATUS = {
    DeliveryStatus.PENDING: ForwardStatus.PENDING,
    DeliveryStatus.DELIVERED: ForwardStatus.COMPLETED,
    DeliveryStatus.FAILED: ForwardStatus.FAILED,
    DeliveryStatus.SKIPPED: ForwardStatus.FAILED,
    DeliveryStatus.WAITING: ForwardStatus.PENDING,
    DeliveryStatus.REFUSED: ForwardStatus.FAILED,
}


def appointment_forward_mirror(*, event, attempt=None):
    """Copy an `appointment.created` delivery's state onto its appointment (in the delivery's
    transaction). A successful attempt is a forward: tracking `sent` and a `forwarded` event."""
    if event.event_type != EventType.APPOINTMENT_CREATED or event.subject_type != SUBJECT_TYPE:
        return
    appointment = Appointment.objects.select_for_update().filter(pk=event.subject_id).first()
    if appointment is None:
        return
    appointment.forward_status = FORWARD_STATUS[event.status]
    appointment.forward_attempts = event.attempts
    if event.status == DeliveryStatus.SKIPPED:
        appointment.forward_response = "Not sent: the workspace's webhook is switched off (send it again later)."
    elif attempt is not None:
        code = attempt.status_code if attempt.status_code is not None else "no response"
        appointment.forward_response = f"{code}: {attempt.response_body or attempt.error}"[:2048]
    fields = ["forward_status", "forward_attempts", "forward_response", "updated_at"]
    delivered = attempt is not None and event.status == DeliveryStatus.DELIVERED
    if delivered:
        appointment.forwarded_at = event.delivered_at
        fields.append("forwarded_at")
    appointment.save(update_fields=fields)
    if delivered:
        WorkspaceTracking.objects.create(
            contact_id=appointment.contact_id, lead_id=appointment.lead_id, workspace_id=event.workspace_id,
            action=TrackingAction.SENT, performed_by=SYSTEM,
            action_details=f"Appointment #{appointment.pk} forwarded.",
            metadata={"appointment_id": appointment.pk, "event_id": str(event.pk)},
        )
        AppointmentEvent.objects.create(
            appointment=appointment, event_type=AppointmentEvent.FORWARDED, new_value=str(attempt.status_code),
            created_by=SYSTEM,
            event_data={"event_id": str(event.pk), "workspace_id": event.workspace_id, "attempts": event.attempts,
                        "latency_ms": attempt.latency_ms},
        )


@transaction.atomic
def appointment_forward_again(*, appointment, by: str):
    """Admin "Forward again": send the appointment's `appointment.created` event once more, or a
    new one when none was stored (e.g. the workspace had no webhook URL then)."""
    appointment = appointment_lock(appointment)
    if not appointment.matched_workspace_id:
        raise AppointmentInvalid.from_errors({"matched_workspace": ["Unrouted: route it before forwarding."]})
    event = (
        OutboundEvent.objects.filter(
            event_type=EventType.APPOINTMENT_CREATED, subject_type=SUBJECT_TYPE, subject_id=str(appointment.pk),
            workspace_id=appointment.matched_workspace_id,
        )
        .order_by("-created_at")
        .first()
    )
    AppointmentEvent.objects.create(
        appointment=appointment, event_type="forward_requested", created_by=by,
        event_data={"event_id": str(event.pk) if event else None},
    )
    if event is None:
        return appointment_forward(appointment)
    outbound_event_redeliver(event=event)
    return event


def appointment_payload(appointment) -> dict:
    """The `data` of appointment.* events: what the workspace needs to act on it."""
    def iso(value):
        return value.isoformat() if value else None

    return {
        "appointment_id": appointment.pk,
        "contact_id": appointment.contact_id,
        "lead_id": appointment.lead_id,
        "lead_ids": list(appointment.lead_links.values_list("lead_id", flat=True)),
        "status": appointment.status,
        "appointment_type": appointment.appointment_type,
        "scheduled_at": iso(appointment.scheduled_at),
        "duration_minutes": appointment.duration_minutes,
        "location_type": appointment.location_type,
        "location_address": appointment.location_address,
        "customer_name": appointment.customer_name,
        "customer_phone": appointment.customer_phone,
        "customer_email": appointment.customer_email,
        "customer_zip": appointment.customer_zip,
        "service_type": appointment.service_type,
        "estimated_value": str(appointment.estimated_value) if appointment.estimated_value is not None else None,
        "assigned_to": appointment.assigned_to,
        "notes": appointment.notes,
        "customer_notes": appointment.customer_notes,
        "outcome": appointment.outcome,
        "next_action": appointment.next_action,
        "next_action_date": iso(appointment.next_action_date),
    }
