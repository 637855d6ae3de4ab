"""Appointments react to outbound deliveries (workspaces cannot import appointments)."""
from django.dispatch import receiver

from appointments.services import appointment_forward_mirror
from workspaces.signals import delivery_recorded


@receiver(delivery_recorded, dispatch_uid="appointments.forward_mirror")
def mirror_forward(sender, event, attempt=None, **kwargs):
    appointment_forward_mirror(event=event, attempt=attempt)
