"""Contact reads. A workspace sees a contact only through a lead assigned to it.

Leads are reached through the reverse relation (`contact.leads`), never an import, because
`contacts` sits below `leads` in the layering.
"""
from django.db.models import Exists, OuterRef, Prefetch

from contacts.models import Contact


def contact_list(*, workspace):
    """Contacts with at least one lead of `workspace` (all contacts for staff, None); each carries
    `visible_leads`: only that workspace's leads (one extra query for the whole page)."""
    leads = Contact._meta.get_field("leads").related_model.objects.order_by("-id")
    contacts = Contact.objects.all()
    if workspace is not None:
        leads = leads.filter(workspace=workspace)
        contacts = contacts.filter(Exists(leads.filter(contact=OuterRef("pk"))))
    return contacts.prefetch_related(Prefetch("leads", queryset=leads, to_attr="visible_leads"))
