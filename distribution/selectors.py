"""Reads of distribution rows."""
from decimal import Decimal

from django.db.models import Exists, OuterRef

from ledger.models import Entry, EntryKind

from .models import Decision, Offer, UnsoldLead

NOTHING_BOOKED = Decimal("0.00")


def payout_reference(lead_id) -> str:
    """The ledger reference of a lead's payout: unique per kind, so a payout is booked once per lead."""
    return f"payout:{lead_id}"


def lead_payout_booked(*, lead, webhook):
    """The source's payout booked for `lead` so far, as the webhook answer says it: None when the
    webhook has no payout terms, 0.00 while nothing is booked. One lookup on the ledger's unique
    (kind, reference) index."""
    if webhook is None or not webhook.payout_kind:
        return None
    amount = Entry.objects.filter(kind=EntryKind.PAYOUT, reference=payout_reference(lead.pk)).values_list(
        "amount", flat=True).order_by().first()
    return NOTHING_BOOKED if amount is None else amount


def offers_visible_to(*, workspace):
    """The caller's offers (every offer for staff, `workspace` None)."""
    offers = Offer.objects.select_related("workspace").prefetch_related("filters").order_by("id")
    return offers if workspace is None else offers.filter(workspace=workspace)


def unsold_leads():
    """Leads no buyer holds that distribution has decided on (the unsold queue)."""
    decided = Decision.objects.filter(lead_id=OuterRef("pk"))
    return UnsoldLead.objects.filter(workspace__isnull=True).filter(Exists(decided))
