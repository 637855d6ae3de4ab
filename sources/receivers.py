"""Postbacks on what the apps below report: a sale of a lead (distribution's one sale path) and a
chargeback booked in the ledger. Nothing is read for a webhook without a postback URL."""
from ledger.models import Entry, EntryKind
from leads.models import Lead
from providers.models import WebhookConfig
from sources.postbacks import source_lead_returned_emit, source_lead_sold_emit, source_payout_reversed_emit


def _takes_postbacks(webhook, webhook_id) -> bool:
    if webhook is not None and webhook.webhook_id == webhook_id:
        return bool(webhook.postback_url)
    return WebhookConfig.objects.filter(webhook_id=webhook_id).exclude(postback_url="").exists()


def sold_lead_postback(sender, *, lead, sales, webhook, at, **kwargs):
    if _takes_postbacks(webhook, lead.webhook_id):
        source_lead_sold_emit(lead=lead, at=at)


def chargeback_postback(sender, *, entries, **kwargs):
    for entry in entries:
        if entry.kind != EntryKind.CHARGEBACK or entry.lead_id is None or not entry.webhook_id:
            continue
        if entry.pk is None and entry.reference and not Entry.objects.filter(
            kind=entry.kind, reference=entry.reference, created_at=entry.created_at
        ).exists():
            continue  # booked before, by an earlier writer: that one told the source
        if not _takes_postbacks(None, entry.webhook_id):
            continue
        lead = Lead.objects.filter(pk=entry.lead_id).only("id", "external_id", "webhook_id", "contact_id").first()
        if lead is not None:
            source_payout_reversed_emit(lead=lead, amount=entry.amount, at=entry.created_at)


def returned_lead_postback(sender, *, ret, lead, payout_change, at, **kwargs):
    if _takes_postbacks(None, lead.webhook_id):
        source_lead_returned_emit(lead=lead, reason_code=ret.reason.code, payout_change=payout_change, at=at)
