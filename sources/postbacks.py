"""Postbacks: what a lead source learns after its post's answer, at its webhook's `postback_url`.

Three events, each about one lead of the webhook: `source.lead_sold`, `source.lead_returned` and
`source.payout_reversed`. Each says the lead's id, the source's own reference (`external_id`) and
the payout change (amount, currency) — never the buyer nor the price. They travel through the
outbox (workspaces.delivery) as rows for no workspace whose target is `source:<webhook_id>`: the
URL and the postback secret are read from the webhook at each attempt (`postback_target`), so a
changed URL is used by retries and a removed one ends them; signed, retried and swept like every
outbound event.
"""
from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q, Sum

from ledger.models import Entry, Side
from providers.models import WebhookConfig
from workspaces.delivery import outbox_emit_to_target

POSTBACK_TARGET = "source"


class SourceEventType(models.TextChoices):
    LEAD_SOLD = "source.lead_sold", "A lead of the source was sold"
    LEAD_RETURNED = "source.lead_returned", "A lead of the source was returned by its buyer"
    PAYOUT_REVERSED = "source.payout_reversed", "The source's payout for a lead was taken back"


def postback_target(webhook_id: str):
    """(postback URL, postback secret) of the webhook, or None when it takes no postbacks."""
    row = WebhookConfig.objects.filter(webhook_id=webhook_id).values_list("postback_url", "postback_secret").first()
    if row is None or not row[0] or not row[1]:
        return None
    return row


def _payout_change(amount) -> dict:
    return {"amount": Decimal(amount or 0).quantize(Decimal("0.01")), "currency": settings.LEDGER_CURRENCY}


def _emit(*, lead, event_type: str, payout_change, **extra):
    data = {"lead_id": lead.pk, "external_id": lead.external_id, "webhook_id": lead.webhook_id,
            "payout_change": _payout_change(payout_change), **extra}
    return outbox_emit_to_target(kind=POSTBACK_TARGET, target_id=lead.webhook_id, event_type=event_type, data=data,
                                 contact_id=lead.contact_id, subject_type="source_lead", subject_id=str(lead.pk))


def source_lead_sold_emit(*, lead, at):
    """`source.lead_sold`: the lead was sold (any sale path); the payout change is what this sale
    booked for the source (0.00 when its payout was booked at acceptance, or it pays nothing)."""
    booked = Entry.objects.filter(lead_id=lead.pk, side=Side.SOURCE).aggregate(
        change=Sum("amount", filter=Q(created_at=at)))["change"]
    return _emit(lead=lead, event_type=SourceEventType.LEAD_SOLD, payout_change=booked, sold_at=at)


def source_payout_reversed_emit(*, lead, amount, at):
    """`source.payout_reversed`: a chargeback took `amount` (negative) of the lead's payout back."""
    return _emit(lead=lead, event_type=SourceEventType.PAYOUT_REVERSED, payout_change=amount, reversed_at=at)


def source_lead_returned_emit(*, lead, reason_code: str, payout_change, at):
    """`source.lead_returned`: a buyer returned the lead for `reason_code`; `payout_change` is the
    chargeback the return booked for the source (0 when none). Called by the return's service."""
    return _emit(lead=lead, event_type=SourceEventType.LEAD_RETURNED, payout_change=payout_change,
                 reason_code=reason_code, returned_at=at)
