"""Appointments admin: pages render, events are read-only, appointments come from intake."""
import pytest
from django.apps import apps
from django.contrib import admin

from appointments.models import Appointment, AppointmentEvent
from leadhub.testing import admin_url, assert_admin_pages_render, assert_admin_read_only, make_contact_history


@pytest.mark.django_db
def test_appointment_pages_render_and_events_are_read_only(admin_client):
    appointment = make_contact_history()["appointment"]
    event = AppointmentEvent.objects.get(appointment=appointment)

    assert_admin_pages_render(admin_client, appointment)
    assert_admin_pages_render(admin_client, event)
    assert_admin_read_only(admin_client, event)
    assert admin_client.get(admin_url(Appointment, "add")).status_code == 403


def test_every_appointments_model_is_in_the_admin():
    assert set(apps.get_app_config("appointments").get_models()) <= set(admin.site._registry)
