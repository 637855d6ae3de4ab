"""Reads of distribution rows."""
from decimal import Decimal

from django.db.models import Exists, OuterRef, Prefetch, Q

from leads.models import Lead, LeadEvent
from leads.selectors import lead_timeline_item
from ledger.models import Entry, EntryKind
from providers.models import WebhookConfig

from .caps import window_start
from .models import Cap, CapUsage, Decision, Offer, OfferKind, Sale, UnsoldLead

NOTHING_BOOKED = Decimal("0.00")


def payout_reference(lead_id) -> str:
    """The ledger reference of a lead's payout: unique per kind, so a payout is booked once per lead."""
    return f"payout:{lead_id}"


def appointment_payout_reference(appointment_id) -> str:
    """The ledger reference of an appointment's payout (appointment webhooks pay per appointment)."""
    return f"payout:appointment:{appointment_id}"


def lead_payout_booked(*, lead, webhook):
    """The source's payout booked for `lead` so far, as the webhook answer says it: None when the
    webhook has no payout terms, 0.00 while nothing is booked. One lookup on the ledger's unique
    (kind, reference) index."""
    return _payout_booked(payout_reference(lead.pk), webhook=webhook)


def appointment_payout_booked(*, appointment, webhook):
    """`lead_payout_booked` for an appointment posted to `webhook`."""
    return _payout_booked(appointment_payout_reference(appointment.pk), webhook=webhook)


def _payout_booked(reference, *, webhook):
    if webhook is None or not webhook.payout_kind:
        return None
    amount = Entry.objects.filter(kind=EntryKind.PAYOUT, reference=reference).values_list(
        "amount", flat=True).order_by().first()
    return NOTHING_BOOKED if amount is None else amount


def offers_visible_to(*, workspace):
    """The caller's offers (every offer for staff, `workspace` None), with their filters, price
    adjustments, own caps and their buyer's caps (`workspace.buyer_caps`) read in one query each."""
    offers = Offer.objects.select_related("workspace").prefetch_related(
        "filters", "price_adjustments", "caps",
        Prefetch("workspace__caps", queryset=Cap.objects.filter(offer__isnull=True), to_attr="buyer_caps"),
    ).order_by("id")
    return offers if workspace is None else offers.filter(workspace=workspace)


def offers_caps_now(offers, *, at):
    """Give each offer (read by `offers_visible_to`) `caps_now`: one dict per cap that limits it,
    its own then its buyer's, with the start of the window holding `at` on the buyer's clock and
    what that window has used. One query reads the usage of every offer's caps (none without caps)."""
    offers = list(offers)
    windows = Q()
    for offer in offers:
        zone = offer.workspace.time_zone
        offer.caps_now = [
            {"id": cap.pk, "scope": cap.scope, "window": cap.window, "measure": cap.measure,
             "maximum": cap.maximum, "window_start": window_start(cap.window, at, zone)}
            for cap in [*offer.caps.all(), *offer.workspace.buyer_caps]
        ]
        for row in offer.caps_now:
            windows |= Q(cap_id=row["id"], window_start=row["window_start"])
    used = {}
    if windows:
        used = {(cap_id, start): value for cap_id, start, value
                in CapUsage.objects.filter(windows).values_list("cap_id", "window_start", "used")}
    for offer in offers:
        for row in offer.caps_now:
            row["used"] = used.get((row["id"], row["window_start"]), Decimal("0"))
    return offers


def lead_sales_standing(*, lead):
    """The lead's sales that stand: sales of the lead itself (not of its appointments) to buyers it
    does not exclude (a buyer whose delivery finally failed was credited). Oldest first."""
    return (Sale.objects.filter(lead_id=lead.pk, appointment__isnull=True)
            .exclude(workspace_id__in=lead.excluded_buyers).order_by("sold_at", "pk"))


def sales_visible_to(*, workspace):
    """The caller's sale rows (every buyer's for staff, `workspace` None)."""
    return Sale.objects.all() if workspace is None else Sale.objects.filter(workspace=workspace)


def unsold_leads():
    """Leads no buyer holds that distribution has decided on (the unsold queue)."""
    decided = Decision.objects.filter(lead_id=OuterRef("pk"))
    return UnsoldLead.objects.filter(workspace__isnull=True).filter(Exists(decided))


def undecided_leads():
    """Leads whose post asked a distributing webhook for distribution (their received event says
    `distribute`) that no distribution decided on, not even as failed: the process died or the
    database went away between the lead's transaction and its distribution. Held leads are not
    among them (their release distributes them), nor sold ones. Filter by `created_at` too: the
    webhook's (webhook_id, created_at) index and the decision and event rows' lead index answer it."""
    asked = LeadEvent.objects.filter(lead_id=OuterRef("pk"), event_type=LeadEvent.RECEIVED, event_data__distribute=True)
    return (Lead.objects.filter(workspace__isnull=True, hold_reasons="",
                                webhook_id__in=WebhookConfig.objects.exclude(distribution_strategy="")
                                .values("webhook_id"))
            .filter(~Exists(Decision.objects.filter(lead_id=OuterRef("pk"))), Exists(asked)))


def leads_without_strategy(leads, *, webhooks=None) -> list:
    """The leads whose webhook has no strategy (or is gone): distributing them again needs ops to
    choose one. `webhooks`: the leads' webhooks by id, when read already."""
    if webhooks is None:
        webhooks = WebhookConfig.objects.in_bulk({lead.webhook_id for lead in leads}, field_name="webhook_id")
    return [lead for lead in leads
            if not (webhooks.get(lead.webhook_id) and webhooks[lead.webhook_id].distribution_strategy)]


def zero_price_offers():
    """Live offers that sell at $0 (a lead offer's price, an appointment offer's appointment
    price): ops see them as a warning until they price or pause them."""
    zero = (Q(kind__in=[OfferKind.LEAD, OfferKind.ANY], price=0)
            | Q(kind__in=[OfferKind.APPOINTMENT, OfferKind.ANY], appointment_price=0))
    return (Offer.objects.filter(zero, is_active=True, paused_at__isnull=True)
            .select_related("workspace").order_by("workspace_id", "id"))


def lead_decision_items(*, lead, workspace) -> list[dict]:
    """The lead's distribution decisions on its timeline (`leads.selectors.lead_timeline`), for ops
    only: their candidates name other buyers, so a workspace never sees them."""
    return [
        lead_timeline_item(
            "decision",
            decision.created_at,
            decision.pk,
            f"distribution {decision.result} ({decision.strategy or 'forwarding only'})",
            {
                "result": decision.result,
                "strategy": decision.strategy,
                "workspace_ids": decision.workspace_ids,
                "offer_ids": decision.offer_ids,
                "refused": decision.refused,
                "candidates": decision.candidates,
                "error": decision.error,
            },
        )
        for decision in Decision.objects.filter(lead=lead)
    ]


def lead_decision_latest(*, lead) -> Decision | None:
    """The lead's latest decision (distribution writes one per attempt), or None."""
    return Decision.objects.filter(lead=lead).first()


def decision_offers(decision) -> dict:
    """{offer id: offer with its buyer} of a decision's candidates, in one query (still existing ones)."""
    return Offer.objects.select_related("workspace").in_bulk({row.get("offer_id") for row in decision.candidates})


def workspace_bought(*, workspace, phone: str = "", email: str = "") -> bool:
    """Whether `workspace` bought a lead or appointment of `phone` (the sale's copy of it, on the
    buyer-phone index) or a lead of `email` (suppression asks: its opt-out of a number it bought
    applies to every buyer)."""
    sales = Sale.objects.filter(workspace=workspace)
    if phone and sales.filter(phone=phone).exists():
        return True
    return bool(email) and sales.filter(lead__email__iexact=email).exists()
