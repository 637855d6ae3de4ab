"""Reads of distribution rows."""
from django.db.models import Exists, OuterRef

from .models import Decision, Offer, UnsoldLead


def offers_visible_to(*, workspace):
    """The caller's offers (every offer for staff, `workspace` None)."""
    offers = Offer.objects.select_related("workspace").prefetch_related("filters").order_by("id")
    return offers if workspace is None else offers.filter(workspace=workspace)


def unsold_leads():
    """Leads no buyer holds that distribution has decided on (the unsold queue)."""
    decided = Decision.objects.filter(lead_id=OuterRef("pk"))
    return UnsoldLead.objects.filter(workspace__isnull=True).filter(Exists(decided))
