"""The appointment page's buttons: confirm, complete with the outcome, reschedule, cancel with a
reason, each the list action run on this one appointment (same service, same events)."""
import pytest

from appointments.models import AppointmentEvent, AppointmentStatus
from leadhub.testing import make_appointment

pytestmark = pytest.mark.django_db


def url(appointment, action):
    return f"/admin/appointments/appointment/{appointment.pk}/action/{action}/"


def page_of(admin_client, appointment):
    return admin_client.get(f"/admin/appointments/appointment/{appointment.pk}/change/").content.decode()


def test_buttons_follow_the_status_machine(admin_client):
    scheduled = make_appointment(customer_phone="+14158161212")
    page = page_of(admin_client, scheduled)
    for action in ("confirm", "reschedule", "cancel", "mark_no_show"):
        assert f'action="{url(scheduled, action)}"' in page
    assert url(scheduled, "complete") not in page  # only a confirmed appointment is completed
    assert "(415) 816-1212" in admin_client.get("/admin/appointments/appointment/").content.decode()

    admin_client.post(url(scheduled, "confirm"))
    scheduled.refresh_from_db()
    assert scheduled.status == AppointmentStatus.CONFIRMED
    assert f'action="{url(scheduled, "complete")}"' in page_of(admin_client, scheduled)


def test_complete_with_the_outcome(admin_client):
    appointment = make_appointment(status=AppointmentStatus.CONFIRMED)

    assert 'name="outcome"' in admin_client.post(url(appointment, "complete")).content.decode()
    response = admin_client.post(url(appointment, "complete"), {
        "post": "yes", "outcome": "proposal_sent", "next_action": "Send the contract", "next_action_date_0": "",
        "next_action_date_1": ""})

    assert response.status_code == 302
    appointment.refresh_from_db()
    assert (appointment.status, appointment.outcome, appointment.next_action) == (
        "completed", "proposal_sent", "Send the contract")


def test_cancel_needs_a_reason_and_keeps_it(admin_client):
    appointment = make_appointment()

    refused = admin_client.post(url(appointment, "cancel"), {"post": "yes", "reason": ""})
    assert refused.status_code == 200 and "This field is required." in refused.content.decode()
    admin_client.post(url(appointment, "cancel"), {"post": "yes", "reason": "Customer sold the house"})

    appointment.refresh_from_db()
    assert appointment.status == AppointmentStatus.CANCELLED
    event = AppointmentEvent.objects.get(appointment=appointment, event_type="cancelled")
    assert event.event_data["reason"] == "Customer sold the house"


def test_reschedule_to_a_new_time(appointment_clock, admin_client):
    appointment = make_appointment()

    admin_client.post(url(appointment, "reschedule"), {
        "post": "yes", "scheduled_at_0": "2027-03-04", "scheduled_at_1": "15:30:00", "reason": "Asked for Tuesday"})

    appointment.refresh_from_db()
    assert appointment.status == AppointmentStatus.RESCHEDULED
    assert appointment.scheduled_at.isoformat() == "2027-03-04T15:30:00+00:00"


def test_no_bulk_delete_of_appointments(admin_client):
    make_appointment()
    assert 'value="delete_selected"' not in admin_client.get("/admin/appointments/appointment/").content.decode()
