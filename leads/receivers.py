"""Leads react to outbound deliveries and to newly suppressed phones and emails, and tell the
outbox which leads are held (workspaces and suppression cannot import leads)."""
from django.dispatch import receiver

from leads.calling import lead_deliveries_check
from leads.holds import held_lead_ids
from leads.services.suppression import lead_suppressed_tell
from leads.services.tracking import lead_forward_mirror
from suppression.signals import suppression_added
from workspaces.delivery import release_check_register, subject_holds_register
from workspaces.signals import delivery_recorded

subject_holds_register(subject_type="lead", held_ids=held_lead_ids)
release_check_register(subject_type="lead", check=lead_deliveries_check)


@receiver(delivery_recorded, dispatch_uid="leads.forward_mirror")
def mirror_forward(sender, event, attempt=None, **kwargs):
    lead_forward_mirror(event=event, attempt=attempt)


@receiver(suppression_added, dispatch_uid="leads.suppressed_tell")
def tell_holders_of_suppressed_leads(sender, suppression_list, since, **kwargs):
    lead_suppressed_tell(suppression_list=suppression_list, since=since)
