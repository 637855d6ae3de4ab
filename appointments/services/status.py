"""The status machine (`appointment_status_change`) and edits (`appointment_update`): every status
change goes through `_transition`, reached only from these two.
"""

from django.db import transaction

from appointments.models import Appointment, AppointmentEvent, AppointmentStatus, Outcome
from appointments.services.common import (
    AppointmentError,
    AppointmentInvalid,
    appointment_lock,
    double_booking,
    scheduled_at_check,
)
from appointments.services.forwarding import appointment_event_send, appointment_payload
from workspaces.models import EventType

S = AppointmentStatus
# The status machine. Final states allow nothing.
TRANSITIONS = {
    S.SCHEDULED: (S.CONFIRMED, S.RESCHEDULED, S.CANCELLED, S.NO_SHOW),
    S.CONFIRMED: (S.COMPLETED, S.RESCHEDULED, S.CANCELLED, S.NO_SHOW),
    S.RESCHEDULED: (S.CONFIRMED, S.RESCHEDULED, S.CANCELLED, S.NO_SHOW),
    S.COMPLETED: (),
    S.CANCELLED: (),
    S.NO_SHOW: (),
}
COMPLETION_FIELDS = ("outcome", "next_action", "next_action_date")
WORKING_FIELDS = (
    "appointment_type", "duration_minutes", "location_type", "location_address", "notes", "customer_notes",
    "assigned_to", "estimated_value", "service_type", "customer_email",
)


class TransitionNotAllowed(AppointmentError):
    code = "transition_not_allowed"

    def __init__(self, old, new):
        self.allowed = list(TRANSITIONS[old])
        allowed = ", ".join(self.allowed) if self.allowed else f"none ('{old}' is final)"
        message = f"Cannot go from '{old}' to '{new}'. Allowed next: {allowed}."
        super().__init__(message, errors={"status": [message]})


def _transition(appointment, *, new_status, changed_by, scheduled_at=None, reason="", completion=None):
    """THE status machine: one legal step, its event, and the completion details."""
    completion = {name: value for name, value in (completion or {}).items() if value not in (None, "")}
    if new_status not in S.values:
        raise AppointmentInvalid.from_errors({"status": [f"'{new_status}' is not a status; one of: {', '.join(S.values)}."]})
    old_status = appointment.status
    if new_status not in TRANSITIONS[old_status]:
        raise TransitionNotAllowed(old_status, new_status)
    if new_status == S.RESCHEDULED and scheduled_at is None:
        raise AppointmentInvalid.from_errors({"scheduled_at": ["Rescheduling means a new scheduled_at; send it."]})
    scheduled_at_check(scheduled_at)
    if completion and new_status != S.COMPLETED:
        raise AppointmentInvalid.from_errors(
            {name: ["Recorded only when the appointment is completed."] for name in completion}
        )
    if "outcome" in completion and completion["outcome"] not in Outcome.values:
        raise AppointmentInvalid.from_errors({"outcome": [f"One of: {', '.join(Outcome.values)}."]})
    event_data = {"old_status": old_status, "new_status": new_status}
    if reason:
        event_data["reason"] = reason
    old_value, new_value = old_status, new_status
    if new_status == S.RESCHEDULED:
        event_data["old_scheduled_at"] = appointment.scheduled_at.isoformat()
        event_data["new_scheduled_at"] = scheduled_at.isoformat()
        old_value, new_value = event_data["old_scheduled_at"], event_data["new_scheduled_at"]
        appointment.scheduled_at = scheduled_at
    for name, value in completion.items():
        setattr(appointment, name, value)
        event_data[name] = value.isoformat() if hasattr(value, "isoformat") else value
    appointment.status = new_status
    appointment.save(update_fields=["status", "scheduled_at", *completion, "updated_at"])
    AppointmentEvent.objects.create(
        appointment=appointment, event_type=new_status, old_value=old_value, new_value=new_value,
        created_by=changed_by, event_data=event_data,
    )
    return appointment


@transaction.atomic
def appointment_status_change(
    *, appointment, new_status, changed_by: str, scheduled_at=None, reason: str = "", outcome: str = "",
    next_action: str = "", next_action_date=None,
) -> Appointment:
    """One status change (rescheduling needs the new `scheduled_at`); emits appointment.updated."""
    appointment = _transition(
        appointment_lock(appointment), new_status=new_status, changed_by=changed_by, scheduled_at=scheduled_at,
        reason=reason, completion={"outcome": outcome, "next_action": next_action, "next_action_date": next_action_date},
    )
    _emit_updated(appointment, changes=["status"])
    return appointment


@transaction.atomic
def appointment_update(*, appointment, changed_by: str, reason: str = "", **changes):
    """One edit as one transaction: a new `scheduled_at` reschedules, then `status` (with the
    completion fields), then the working fields. Returns (appointment, double-booking warnings).

    Sending the current status again is not a transition and changes nothing.
    """
    unknown = sorted(set(changes) - {"status", "scheduled_at", *COMPLETION_FIELDS, *WORKING_FIELDS})
    if unknown:
        raise AppointmentInvalid.from_errors({name: ["This field cannot be changed here."] for name in unknown})
    appointment = appointment_lock(appointment)
    changed = []
    scheduled_at = changes.pop("scheduled_at", None)
    if scheduled_at is not None and scheduled_at != appointment.scheduled_at:
        _transition(appointment, new_status=S.RESCHEDULED, changed_by=changed_by, scheduled_at=scheduled_at, reason=reason)
        changed.append("scheduled_at")
    completion = {name: changes.pop(name) for name in COMPLETION_FIELDS if name in changes}
    status = changes.pop("status", None)
    if status is not None and (status != appointment.status or status == S.RESCHEDULED and scheduled_at is None):
        _transition(appointment, new_status=status, changed_by=changed_by, reason=reason, completion=completion)
        changed.append("status")
    elif any(value not in (None, "") for value in completion.values()):
        raise AppointmentInvalid.from_errors(
            {name: ["Recorded only when the appointment is completed (send status: completed)."] for name in completion}
        )
    edits = {name: value for name, value in changes.items() if getattr(appointment, name) != value}
    if edits:
        old = {name: getattr(appointment, name) for name in edits}
        for name, value in edits.items():
            setattr(appointment, name, value)
        appointment.full_clean(exclude=[f.name for f in Appointment._meta.fields if f.name not in edits],
                               validate_unique=False, validate_constraints=False)
        appointment.save(update_fields=[*edits, "updated_at"])
        AppointmentEvent.objects.create(
            appointment=appointment, event_type=AppointmentEvent.UPDATED, created_by=changed_by,
            old_value=", ".join(f"{name}={_text(value)}" for name, value in old.items()),
            new_value=", ".join(f"{name}={_text(value)}" for name, value in edits.items()),
            event_data={"changes": {name: [_text(old[name]), _text(value)] for name, value in edits.items()}},
        )
        changed.extend(edits)
    if changed:
        _emit_updated(appointment, changes=changed)
    warnings = double_booking(appointment) if {"scheduled_at", "assigned_to", "duration_minutes"} & set(changed) else []
    return appointment, warnings


def _text(value):
    if value is None:
        return ""
    return value.isoformat() if hasattr(value, "isoformat") else str(value)


def _emit_updated(appointment, *, changes):
    if appointment.matched_workspace_id is None:
        return
    appointment_event_send(appointment, EventType.APPOINTMENT_UPDATED, {**appointment_payload(appointment),
                                                                       "changes": changes})
