"""Writing the ledger: entries are only ever added (a correction is a new entry)."""
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django.conf import settings
from django.utils import timezone

from leadhub.errors import ServiceRefusal, errors_message
from leadhub.models import MONEY_MAX

from .signals import entries_recorded
from .models import CREDIT_KINDS, KIND_SIDE, POSITIVE_KINDS, Entry, EntryKind, Side

CENT = Decimal("0.01")


class LedgerInvalid(ServiceRefusal):
    """An amount or entry the ledger refuses, named per field (the API's 422 `validation`)."""

    code = "validation"

    def __init__(self, errors: dict):
        super().__init__(errors_message(errors), errors=errors)


def money(value, *, name="amount") -> Decimal:
    """A money input to the cent, at most MONEY_MAX either way; LedgerInvalid names `name`."""
    try:
        amount = Decimal(str(value)).quantize(CENT, rounding=ROUND_HALF_UP)
    except (InvalidOperation, ValueError):
        raise LedgerInvalid({name: [f"'{value}' is not an amount of money."]}) from None
    if abs(amount) > MONEY_MAX:
        raise LedgerInvalid({name: [f"At most {MONEY_MAX:,} is accepted."]})
    return amount


@dataclass
class Draft:
    """One entry to write. Dimensions are plain values (see ledger.models)."""

    kind: str
    amount: Decimal
    side: str = ""
    workspace_id: str = ""
    provider_id: str = ""
    webhook_id: str = ""
    lead_type: str = ""
    subsource: str = ""
    lead_id: int | None = None
    offer_id: int | None = None
    reference: str = ""
    note: str = ""


def lead_dimensions(lead) -> dict:
    """The dimensions an entry about `lead` copies from it; its sub-source is `subsource`, else
    `utm_source` (what margin by sub-source groups by)."""
    return {"provider_id": lead.provider_id, "webhook_id": lead.webhook_id, "lead_type": lead.lead_type,
            "subsource": lead.subsource or lead.utm_source, "lead_id": lead.pk}


def _entry(draft: Draft, now) -> Entry:
    if draft.kind not in EntryKind.values:
        raise LedgerInvalid({"kind": [f"'{draft.kind}' is not a ledger entry kind."]})
    amount = money(draft.amount)
    if draft.kind in POSITIVE_KINDS and amount < 0:
        raise LedgerInvalid({"amount": [f"A {draft.kind} is not negative: correct it with a credit or an adjustment."]})
    if draft.kind in CREDIT_KINDS and amount > 0:
        raise LedgerInvalid({"amount": [f"A {draft.kind} is a credit: zero or negative."]})
    side = KIND_SIDE.get(draft.kind) or draft.side
    if side not in Side.values:
        raise LedgerInvalid({"side": ["An adjustment names its side: buyer or source."]})
    return Entry(
        created_at=now, kind=draft.kind, side=side, amount=amount, currency=settings.LEDGER_CURRENCY,
        workspace_id=draft.workspace_id or "", provider_id=draft.provider_id or "", webhook_id=draft.webhook_id or "",
        lead_type=draft.lead_type or "", subsource=(draft.subsource or "")[:255], lead_id=draft.lead_id,
        offer_id=draft.offer_id, reference=draft.reference, note=draft.note[:255],
    )


def ledger_entries_record(*, drafts: list[Draft], at=None) -> list[Entry]:
    """Add entries in one INSERT (the distribution path books a sale and its payout together;
    one statement needs no savepoint in the caller's transaction). A draft whose (kind,
    reference) is already booked is skipped, so a retried writer books a movement once."""
    now = at or timezone.now()
    entries = [_entry(draft, now) for draft in drafts]
    if not entries:
        return []
    entries = Entry.objects.bulk_create(entries, ignore_conflicts=any(e.reference for e in entries))
    entries_recorded.send(sender=Entry, entries=entries)
    return entries


def ledger_adjustment_record(*, side: str, amount, note: str, **dimensions) -> Entry:
    """An ops correction: a signed amount on the buyer's or the source's side."""
    if not note.strip():
        raise LedgerInvalid({"note": ["Say why: an adjustment needs a note."]})
    return ledger_entries_record(drafts=[Draft(kind=EntryKind.ADJUSTMENT, side=side, amount=amount, note=note,
                                               **dimensions)])[0]
