"""Appointments react to outbound deliveries and hold releases (workspaces and leads cannot
import appointments)."""
from django.dispatch import receiver

from django.db import transaction

from appointments.services.forwarding import (
    SUBJECT_TYPE,
    appointment_deliveries_check,
    appointment_events_released,
    appointment_forward_mirror,
)
from appointments.services.routing import appointments_released
from leads.signals import lead_released
from workspaces.delivery import release_check_register
from workspaces.signals import delivery_recorded

release_check_register(subject_type=SUBJECT_TYPE, check=appointment_deliveries_check)


@receiver(delivery_recorded, dispatch_uid="appointments.forward_mirror")
def mirror_forward(sender, event, attempt=None, **kwargs):
    appointment_forward_mirror(event=event, attempt=attempt)


@receiver(lead_released, dispatch_uid="appointments.lead_released")
def route_released(sender, lead, by, **kwargs):
    """After the lead's distribution (connected first): its waiting appointments, then the events
    about its appointments that waited."""
    routed = appointments_released(lead=lead, by=by)
    with transaction.atomic():
        appointment_events_released(lead=lead)
    if routed:
        return {"appointments": "appointments routed: " + ", ".join(
            f"#{a.pk} to {a.matched_workspace_id}" for a in routed)}
    return None
