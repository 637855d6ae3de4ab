"""Appointments react to outbound deliveries and consent releases (workspaces and leads cannot
import appointments)."""
from django.dispatch import receiver

from appointments.services import appointment_forward_mirror, appointment_forwards_released
from leads.signals import lead_consent_released
from workspaces.signals import delivery_recorded


@receiver(delivery_recorded, dispatch_uid="appointments.forward_mirror")
def mirror_forward(sender, event, attempt=None, **kwargs):
    appointment_forward_mirror(event=event, attempt=attempt)


@receiver(lead_consent_released, dispatch_uid="appointments.forwards_released")
def forward_released(sender, lead, **kwargs):
    appointment_forwards_released(lead=lead)
