"""The appointment status machine: every legal and every illegal transition, and its records."""
from datetime import timedelta

import pytest
from django.utils import timezone

from appointments.models import AppointmentEvent, AppointmentStatus
from appointments.services.common import AppointmentInvalid
from appointments.services.status import (
    TRANSITIONS,
    TransitionNotAllowed,
    appointment_status_change,
    appointment_update,
)
from leadhub.testing import make_appointment

pytestmark = pytest.mark.django_db
S = AppointmentStatus

LEGAL = {
    S.SCHEDULED: {S.CONFIRMED, S.RESCHEDULED, S.CANCELLED, S.NO_SHOW},
    S.CONFIRMED: {S.COMPLETED, S.RESCHEDULED, S.CANCELLED, S.NO_SHOW},
    S.RESCHEDULED: {S.CONFIRMED, S.RESCHEDULED, S.CANCELLED, S.NO_SHOW},
    S.COMPLETED: set(),
    S.CANCELLED: set(),
    S.NO_SHOW: set(),
}
PAIRS = [(old, new) for old in S.values for new in S.values]


def test_the_table_is_the_issue_table():
    assert {old: set(allowed) for old, allowed in TRANSITIONS.items()} == LEGAL


@pytest.mark.parametrize("old,new", [pair for pair in PAIRS if pair[1] in LEGAL[pair[0]]])
def test_legal_transition_is_applied_and_recorded(old, new):
    appointment = make_appointment(status=old)
    was = appointment.scheduled_at
    later = was + timedelta(days=2) if new == S.RESCHEDULED else None
    changed = appointment_status_change(appointment=appointment, new_status=new, changed_by="ops:ada", scheduled_at=later)
    changed.refresh_from_db()
    assert changed.status == new
    event = AppointmentEvent.objects.get(appointment=appointment)
    assert (event.event_type, event.created_by) == (new, "ops:ada")
    assert event.event_data["old_status"] == old and event.event_data["new_status"] == new
    if new == S.RESCHEDULED:
        assert changed.scheduled_at == later
        assert (event.old_value, event.new_value) == (was.isoformat(), later.isoformat())
    else:
        assert (event.old_value, event.new_value) == (old, new)


@pytest.mark.parametrize("old,new", [pair for pair in PAIRS if pair[1] not in LEGAL[pair[0]]])
def test_illegal_transition_is_refused_with_the_allowed_next_states(old, new):
    appointment = make_appointment(status=old)
    with pytest.raises(TransitionNotAllowed) as caught:
        appointment_status_change(
            appointment=appointment, new_status=new, changed_by="ops", scheduled_at=timezone.now() + timedelta(days=1)
        )
    assert set(caught.value.allowed) == LEGAL[old]
    assert "status" in caught.value.errors
    appointment.refresh_from_db()
    assert appointment.status == old
    assert not AppointmentEvent.objects.filter(appointment=appointment).exists()


def test_rescheduling_needs_a_new_time():
    appointment = make_appointment()
    with pytest.raises(AppointmentInvalid) as caught:
        appointment_status_change(appointment=appointment, new_status=S.RESCHEDULED, changed_by="ops")
    assert "scheduled_at" in caught.value.errors


def test_unknown_status_names_the_field():
    with pytest.raises(AppointmentInvalid) as caught:
        appointment_status_change(appointment=make_appointment(), new_status="done", changed_by="ops")
    assert "status" in caught.value.errors


def test_completion_records_outcome_and_next_action():
    appointment = make_appointment(status=S.CONFIRMED)
    follow_up = timezone.now() + timedelta(days=7)
    appointment_status_change(
        appointment=appointment, new_status=S.COMPLETED, changed_by="rep", outcome="proposal_sent",
        next_action="Call back about financing", next_action_date=follow_up,
    )
    appointment.refresh_from_db()
    assert (appointment.outcome, appointment.next_action, appointment.next_action_date) == (
        "proposal_sent", "Call back about financing", follow_up,
    )
    assert AppointmentEvent.objects.get(appointment=appointment).event_data["outcome"] == "proposal_sent"


def test_outcome_is_refused_without_completion():
    appointment = make_appointment(status=S.CONFIRMED)
    with pytest.raises(AppointmentInvalid) as caught:
        appointment_status_change(appointment=appointment, new_status=S.CANCELLED, changed_by="rep", outcome="qualified")
    assert "outcome" in caught.value.errors
    with pytest.raises(AppointmentInvalid) as caught:
        appointment_update(appointment=appointment, changed_by="rep", outcome="qualified")
    assert "outcome" in caught.value.errors


def test_a_new_time_reschedules_and_the_same_status_again_is_no_change():
    appointment = make_appointment(status=S.CONFIRMED)
    later = appointment.scheduled_at + timedelta(hours=3)
    appointment, _ = appointment_update(appointment=appointment, changed_by="rep", scheduled_at=later)
    assert (appointment.status, appointment.scheduled_at) == (S.RESCHEDULED, later)
    appointment, _ = appointment_update(appointment=appointment, changed_by="rep", status=S.RESCHEDULED, scheduled_at=later)
    assert AppointmentEvent.objects.filter(appointment=appointment).count() == 1
    # A new time and a confirmation in one edit: rescheduled, then confirmed.
    appointment, _ = appointment_update(
        appointment=appointment, changed_by="rep", scheduled_at=later + timedelta(hours=1), status=S.CONFIRMED
    )
    assert appointment.status == S.CONFIRMED
    assert list(AppointmentEvent.objects.filter(appointment=appointment).order_by("id").values_list("event_type", flat=True)) == [
        "rescheduled", "rescheduled", "confirmed"
    ]


def test_a_final_appointment_cannot_be_moved():
    appointment = make_appointment(status=S.CANCELLED)
    with pytest.raises(TransitionNotAllowed) as caught:
        appointment_update(appointment=appointment, changed_by="rep", scheduled_at=timezone.now() + timedelta(days=1))
    assert caught.value.allowed == []


def test_working_field_edits_are_recorded_with_old_and_new_values():
    appointment = make_appointment(notes="old")
    appointment, _ = appointment_update(appointment=appointment, changed_by="rep", notes="new", duration_minutes=90)
    event = AppointmentEvent.objects.get(appointment=appointment)
    assert event.event_type == "updated" and event.created_by == "rep"
    assert event.event_data["changes"] == {"notes": ["old", "new"], "duration_minutes": ["60", "90"]}
    assert "notes=old" in event.old_value and "notes=new" in event.new_value


def test_double_booking_is_a_warning_not_an_error():
    start = timezone.now() + timedelta(days=1)
    first = make_appointment(assigned_to="rep-1", scheduled_at=start, duration_minutes=60)
    make_appointment(assigned_to="rep-1", scheduled_at=start + timedelta(hours=2))  # no overlap
    make_appointment(assigned_to="rep-1", scheduled_at=start + timedelta(minutes=30), status=S.CANCELLED)
    second = make_appointment(scheduled_at=start + timedelta(minutes=59))
    _, warnings = appointment_update(appointment=second, changed_by="ops", assigned_to="rep-1")
    assert [w["code"] for w in warnings] == ["double_booking"]
    assert warnings[0]["appointment_ids"] == [first.pk]
    _, warnings = appointment_update(appointment=second, changed_by="ops", scheduled_at=start + timedelta(minutes=60))
    assert warnings == []
