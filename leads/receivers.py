"""Leads react to outbound deliveries (workspaces cannot import leads)."""
from django.dispatch import receiver

from leads.services.tracking import lead_forward_mirror
from workspaces.signals import delivery_recorded


@receiver(delivery_recorded, dispatch_uid="leads.forward_mirror")
def mirror_forward(sender, event, attempt=None, **kwargs):
    lead_forward_mirror(event=event, attempt=attempt)
