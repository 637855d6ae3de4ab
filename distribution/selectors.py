"""Reads of distribution rows."""
from .models import Offer


def offers_visible_to(*, workspace):
    """The caller's offers (every offer for staff, `workspace` None)."""
    offers = Offer.objects.select_related("workspace").prefetch_related("filters").order_by("id")
    return offers if workspace is None else offers.filter(workspace=workspace)
