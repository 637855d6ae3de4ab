"""Leads react to outbound deliveries, and tell the outbox which leads are held (workspaces
cannot import leads)."""
from django.dispatch import receiver

from leads.holds import held_lead_ids
from leads.services.tracking import lead_forward_mirror
from workspaces.delivery import subject_holds_register
from workspaces.signals import delivery_recorded

subject_holds_register(subject_type="lead", held_ids=held_lead_ids)


@receiver(delivery_recorded, dispatch_uid="leads.forward_mirror")
def mirror_forward(sender, event, attempt=None, **kwargs):
    lead_forward_mirror(event=event, attempt=attempt)
