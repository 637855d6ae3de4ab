"""Reads about returns: which sale a buyer may return, when its return window started, the
limits' counts, and the evidence a dispute needs."""
from datetime import timedelta
from decimal import Decimal

from django.db.models import Count, Min, Q

from distribution.caps import window_start
from distribution.models import CapWindow, Sale
from leads.models import ConsentEvidence, LeadEvent
from suppression.selectors import suppressed_workspaces
from workspaces.models import DeliveryAttempt, DeliveryStatus, EventType, OutboundEvent

from .models import LIVE_STATES, Return, ReturnState

# The events a sale sends its buyer (distribution.selling.sales_make): its first delivery of any
# of them is when the buyer had the lead.
SALE_EVENTS = (EventType.LEAD_SOLD, EventType.LEAD_ASSIGNED, EventType.LEAD_FORWARDED)
DEFAULT_WINDOW_HOURS = 72


def returnable_sale(*, lead_id, workspace) -> Sale | None:
    """`workspace`'s sale of the lead itself (not of an appointment), or None: a lead the caller
    did not buy is no lead to it."""
    return Sale.objects.select_related("offer", "workspace").filter(
        lead_id=lead_id, workspace=workspace, appointment__isnull=True).first()


def returns_visible_to(*, workspace):
    """The caller's returns (every buyer's for staff, `workspace` None), newest first."""
    rows = Return.objects.select_related("reason")
    return rows if workspace is None else rows.filter(workspace=workspace)


def sale_events(*, sale):
    """The outbox rows a sale sent its buyer about the lead (one index: the subject)."""
    return OutboundEvent.objects.filter(subject_type="lead", subject_id=str(sale.lead_id),
                                        workspace_id=sale.workspace_id, event_type__in=SALE_EVENTS)


def return_window_start(*, sale):
    """When the buyer's return window started: the first successful delivery of the sale's events
    to it (a delivery held until the buyer's calling hours starts the clock when it is sent);
    None while one is still waiting to be sent (the clock has not started); the sale's time when
    the buyer takes no deliveries (no outbound URL, not subscribed, its webhook off) or none
    ever arrived."""
    seen = sale_events(sale=sale).aggregate(
        delivered=Min("delivered_at"),
        waiting=Count("pk", filter=Q(status__in=(DeliveryStatus.PENDING, DeliveryStatus.HELD, DeliveryStatus.WAITING))),
    )
    if seen["delivered"] is not None:
        return seen["delivered"]
    return None if seen["waiting"] else sale.sold_at


def billing_period_start(*, at, time_zone):
    """The start of the billing period holding `at`: the calendar month in the buyer's zone."""
    return window_start(CapWindow.MONTH, at, time_zone)


def offer_returns_in_period(*, offer, since) -> int:
    return Return.objects.filter(sale__offer_id=offer.pk, state__in=LIVE_STATES, requested_at__gte=since).count()


def offer_sales_in_period(*, offer, since) -> int:
    return Sale.objects.filter(offer_id=offer.pk, appointment__isnull=True, sold_at__gte=since).count()


def earlier_duplicate(*, sale):
    """The buyer's earlier sale of the same phone within its offer's duplicate window (`duplicate_days`),
    or None (no window: nothing leadhub can verify)."""
    days = sale.offer.duplicate_days if sale.offer is not None else None
    if not days or not sale.phone:
        return None
    return (Sale.objects.filter(workspace_id=sale.workspace_id, phone=sale.phone, appointment__isnull=True,
                                sold_at__gte=sale.sold_at - timedelta(days=days), sold_at__lte=sale.sold_at)
            .exclude(pk=sale.pk).order_by("-sold_at").first())


def buyer_return_rate(*, workspace_id, before) -> dict:
    """The buyer's returns before `before` against the leads it bought: what ops weigh a new one by."""
    counts = Return.objects.filter(workspace_id=workspace_id, requested_at__lt=before).aggregate(
        returns=Count("pk"), approved=Count("pk", filter=Q(state=ReturnState.APPROVED)))
    bought = Sale.objects.filter(workspace_id=workspace_id, appointment__isnull=True, sold_at__lt=before).count()
    rate = (Decimal(counts["returns"]) * 100 / bought).quantize(Decimal("0.1")) if bought else None
    return {**counts, "bought": bought, "rate": rate}


def return_evidence(*, ret) -> dict:
    """What a dispute needs, as stored: the consent as captured, the deliveries to the buyer with
    their attempts, the duplicate and suppression checks, the buyer's earlier returns."""
    lead, sale = ret.lead, ret.sale
    events = list(sale_events(sale=sale).order_by("created_at"))
    attempts = {}
    for attempt in DeliveryAttempt.objects.filter(event__in=events).order_by("created_at", "id"):
        attempts.setdefault(attempt.event_id, []).append(attempt)
    return {
        "consent": {
            "consent_value": lead.consent_value, "tcpa_compliance": lead.tcpa_compliance,
            "consent_description": lead.consent_description, "trustedform_cert_url": lead.trustedform_cert_url,
            "jornaya_leadid": lead.jornaya_leadid, "ip_address": lead.ip_address, "user_agent": lead.user_agent,
            "evidence_invalid": lead.evidence_invalid,
            "verified": list(ConsentEvidence.objects.filter(lead=lead).order_by("kind")),
        },
        "deliveries": [(event, attempts.get(event.pk, [])) for event in events],
        "duplicate_of": earlier_duplicate(sale=sale),
        "intake_duplicates": list(LeadEvent.objects.filter(lead=lead, event_type="duplicate_matched")
                                  .values_list("event_data", flat=True)),
        "suppressed_now": bool(suppressed_workspaces(phone=lead.phone, email=lead.email, workspaces=[ret.workspace])),
        "earlier_returns": buyer_return_rate(workspace_id=ret.workspace_id, before=ret.requested_at),
    }
