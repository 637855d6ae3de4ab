"""Reads of distribution rows."""
from django.db.models import Exists, OuterRef, Q

from .models import Decision, Offer, OfferKind, UnsoldLead


def offers_visible_to(*, workspace):
    """The caller's offers (every offer for staff, `workspace` None)."""
    offers = Offer.objects.select_related("workspace").prefetch_related("filters").order_by("id")
    return offers if workspace is None else offers.filter(workspace=workspace)


def unsold_leads():
    """Leads no buyer holds that distribution has decided on (the unsold queue)."""
    decided = Decision.objects.filter(lead_id=OuterRef("pk"))
    return UnsoldLead.objects.filter(workspace__isnull=True).filter(Exists(decided))


def zero_price_offers():
    """Live offers that sell at $0 (a lead offer's price, an appointment offer's appointment
    price): ops see them as a warning until they price or pause them."""
    zero = (Q(kind__in=[OfferKind.LEAD, OfferKind.ANY], price=0)
            | Q(kind__in=[OfferKind.APPOINTMENT, OfferKind.ANY], appointment_price=0))
    return (Offer.objects.filter(zero, is_active=True, paused_at__isnull=True)
            .select_related("workspace").order_by("workspace_id", "id"))
