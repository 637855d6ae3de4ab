"""Appointments admin: pages render, ops create/edit through the services, unrouted list routes."""
from datetime import timedelta

import pytest
from django.apps import apps
from django.contrib import admin

from appointments.models import Appointment, AppointmentEvent, UnroutedAppointment
from leadhub.testing import (
    admin_url,
    assert_admin_pages_render,
    assert_admin_read_only,
    make_appointment,
    make_contact,
    make_contact_history,
    make_lead,
    make_workspace,
)
from workspaces.models import OutboundEvent
from workspaces.services import routing_rule_save

# Appointments are posted at fixed times: the clock stands before them (past times are refused).
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("appointment_clock")]


def test_appointment_pages_render_and_events_are_read_only(admin_client):
    appointment = make_contact_history()["appointment"]
    event = AppointmentEvent.objects.get(appointment=appointment)
    assert_admin_pages_render(admin_client, appointment)
    assert_admin_pages_render(admin_client, event)
    assert_admin_read_only(admin_client, event)


def test_every_appointments_model_is_in_the_admin():
    assert set(apps.get_app_config("appointments").get_models()) <= set(admin.site._registry)


def form_data(contact, **fields):
    data = {
        "contact": contact.pk, "lead": "", "scheduled_at_0": "2026-12-01", "scheduled_at_1": "15:00:00",
        "duration_minutes": 60, "appointment_type": "estimate", "location_type": "home", "location_address": "",
        "assigned_to": "rep-1", "notes": "", "customer_notes": "", "estimated_value": "", "customer_name": "Ada L",
        "customer_phone": contact.phone, "customer_email": "", "customer_zip": "94105", "service_type": "solar",
        "appointmentlead_set-TOTAL_FORMS": 0, "appointmentlead_set-INITIAL_FORMS": 0,
        "lead_links-TOTAL_FORMS": 0, "lead_links-INITIAL_FORMS": 0,
        "events-TOTAL_FORMS": 0, "events-INITIAL_FORMS": 0,
    }
    data.update(fields)
    return data


def test_ops_create_an_appointment_through_the_service(admin_client):
    contact = make_contact()
    lead = make_lead(contact)
    workspace = make_workspace(outbound_webhook_url="https://partner.example.com/hook", webhook_active=True)
    routing_rule_save(workspace=workspace, zip_codes=["941*"], product_types=["Solar"])
    response = admin_client.post(admin_url(Appointment, "add"), form_data(contact, lead=lead.pk))
    assert response.status_code == 302, response.context["adminform"].form.errors if response.context else response
    appointment = Appointment.objects.get()
    assert appointment.matched_workspace == workspace and appointment.created_by == "staff:admin"
    assert list(appointment.leads.all()) == [lead]
    assert AppointmentEvent.objects.filter(appointment=appointment, event_type="created").exists()
    assert OutboundEvent.objects.filter(subject_id=str(appointment.pk), event_type="appointment.created").count() == 1


def test_lead_of_another_contact_is_refused_by_the_form(admin_client):
    contact = make_contact()
    response = admin_client.post(admin_url(Appointment, "add"), form_data(contact, lead=make_lead().pk))
    assert response.status_code == 200
    assert "lead" in response.context["adminform"].form.errors
    assert not Appointment.objects.exists()


def test_editing_the_time_reschedules_and_a_final_one_cannot_move(admin_client):
    appointment = make_appointment(status="confirmed")
    data = form_data(appointment.contact, scheduled_at_0="2027-01-05", scheduled_at_1="10:00:00")
    response = admin_client.post(admin_url(appointment, "change", appointment.pk), data)
    assert response.status_code == 302
    appointment.refresh_from_db()
    assert appointment.status == "rescheduled"
    assert set(AppointmentEvent.objects.filter(appointment=appointment).values_list("event_type", flat=True)) == {
        "rescheduled", "updated"  # the form also changed the type and assignee
    }
    done = make_appointment(status="completed")
    response = admin_client.post(admin_url(done, "change", done.pk), form_data(done.contact, scheduled_at_0="2027-01-05"))
    assert "scheduled_at" in response.context["adminform"].form.errors


def test_unrouted_list_routes_to_the_chosen_workspace_in_one_action(admin_client):
    unrouted = make_appointment()
    routed = make_appointment(matched_workspace=make_workspace())
    changelist = admin_client.get(admin_url(UnroutedAppointment, "changelist"))
    assert [row.pk for row in changelist.context["cl"].result_list] == [unrouted.pk]
    workspace = make_workspace()
    response = admin_client.post(admin_url(UnroutedAppointment, "changelist"), {
        "action": "route_to_chosen", "_selected_action": [unrouted.pk], "workspace": workspace.pk,
    })
    assert response.status_code == 302
    unrouted.refresh_from_db()
    assert unrouted.matched_workspace == workspace and "staff:admin" in unrouted.routing_method
    unrouted_page = admin_client.get(admin_url(UnroutedAppointment, "changelist"))
    assert routed.pk not in [r.pk for r in unrouted_page.context["cl"].result_list]


def test_status_actions_use_the_status_machine(admin_client):
    scheduled, final = make_appointment(), make_appointment(status="cancelled")
    admin_client.post(admin_url(Appointment, "changelist"), {
        "action": "confirm", "_selected_action": [scheduled.pk, final.pk],
    })
    scheduled.refresh_from_db()
    final.refresh_from_db()
    assert (scheduled.status, final.status) == ("confirmed", "cancelled")


def test_forward_again_re_sends_the_created_event(admin_client):
    workspace = make_workspace(outbound_webhook_url="https://partner.example.com/hook", webhook_active=True)
    appointment = make_appointment(matched_workspace=workspace, scheduled_at=make_appointment().scheduled_at + timedelta(days=1))
    admin_client.post(admin_url(Appointment, "changelist"), {"action": "forward_again", "_selected_action": [appointment.pk]})
    assert OutboundEvent.objects.filter(subject_id=str(appointment.pk), event_type="appointment.created").count() == 1
    assert AppointmentEvent.objects.filter(appointment=appointment, event_type="forward_requested").count() == 1
