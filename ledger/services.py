"""Writing the ledger: entries are only ever added (a correction is a new entry); each buyer's
balance row moves with its buyer-side entries, in the same transaction."""
from collections import defaultdict
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from leadhub.errors import ServiceConflict, ServiceRefusal, errors_message
from leadhub.models import MONEY_MAX
from workspaces.delivery import outbox_emit
from workspaces.models import EventType, Workspace

from .models import CREDIT_KINDS, KIND_SIDE, POSITIVE_KINDS, Balance, Entry, EntryKind, Side
from .signals import entries_recorded

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


def total_read(value) -> Decimal:
    """A stored sum read back by raw SQL (SQLite gives a float or an int), to the cent; no limit."""
    return Decimal(str(value)).quantize(CENT, rounding=ROUND_HALF_UP)


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
    # The buyer's balance row already moved by this amount: a prepaid sale's funds are claimed
    # with its caps (distribution.caps.caps_claim), so its entry must not move the balance again.
    funds_claimed: bool = False


class DepositRefused(ServiceConflict):
    """A deposit whose reference this buyer's deposits already have: it is booked once."""

    code = "deposit_recorded"


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
    one statement needs no savepoint in the caller's transaction), then move the balance of
    each buyer they book to (one upsert, none without buyer-side entries). A draft whose (kind,
    reference) is already booked is skipped and moves nothing, so a retried writer books a
    movement once. Returns the entries written."""
    now = at or timezone.now()
    entries = [_entry(draft, now) for draft in drafts]
    if not entries:
        return []
    _entries_insert(entries)
    moved = defaultdict(Decimal)
    for entry, draft in zip(entries, drafts, strict=True):
        if entry.pk is not None and entry.side == Side.BUYER and entry.workspace_id and not draft.funds_claimed:
            moved[entry.workspace_id] += entry.amount
    _balances_move({buyer: amount for buyer, amount in moved.items() if amount})
    written = [entry for entry in entries if entry.pk is not None]
    entries_recorded.send(sender=Entry, entries=written)
    return written


def _entries_insert(entries):
    """INSERT … ON CONFLICT DO NOTHING RETURNING: each entry the database wrote gets its id; a
    skipped one (an earlier booking of the same (kind, reference)) keeps none."""
    fields = [f for f in Entry._meta.concrete_fields if not f.primary_key]
    quote = connection.ops.quote_name
    row = f"({', '.join(['%s'] * len(fields))})"
    params = [f.get_db_prep_save(getattr(entry, f.attname), connection) for entry in entries for f in fields]
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {quote(Entry._meta.db_table)} ({', '.join(quote(f.column) for f in fields)}) "
            f"VALUES {', '.join([row] * len(entries))} ON CONFLICT DO NOTHING RETURNING id, kind, reference",
            params,
        )
        returned = cursor.fetchall()
    ids = {(kind, reference): pk for pk, kind, reference in returned if reference}
    unreferenced = iter(sorted(pk for pk, _kind, reference in returned if not reference))
    for entry in entries:  # an entry without a reference never conflicts: ids in the order written
        entry.pk = ids.get((entry.kind, entry.reference)) if entry.reference else next(unreferenced)


def _balances_move(moved: dict):
    """Add {buyer: amount} to the buyers' balance rows (made at the first entry), in buyer order,
    and tell each one whose balance this took below its low-balance threshold."""
    if not moved:
        return
    table, workspaces = Balance._meta.db_table, Workspace._meta.db_table
    buyers = sorted(moved)
    params = [value for buyer in buyers for value in (buyer, moved[buyer])]
    # Amounts are cast so SQLite (which binds Decimals as text) adds numbers.
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (workspace_id, owed) VALUES {', '.join(['(%s, CAST(%s AS NUMERIC))'] * len(buyers))} "
            f"ON CONFLICT (workspace_id) DO UPDATE SET owed = {table}.owed + excluded.owed "
            f"RETURNING workspace_id, owed, (SELECT low_balance_threshold FROM {workspaces} w "
            f"WHERE w.id = {table}.workspace_id)",
            params,
        )
        rows = cursor.fetchall()
    for buyer, owed, threshold in rows:
        owed = total_read(owed)
        balance_low_tell(workspace_id=buyer, owed_before=owed - moved[buyer], owed=owed,
                         threshold=None if threshold is None else total_read(threshold))


def balance_low_tell(*, workspace_id: str, owed_before: Decimal, owed: Decimal, threshold: Decimal | None):
    """`workspace.balance_low` when a move took the buyer's balance (minus what it owes) from at
    least its threshold to below it: once per crossing, since a later move starts below it until
    a deposit or a credit brings the balance back up."""
    if threshold is None or not (-owed_before >= threshold > -owed):
        return
    outbox_emit(workspace=Workspace.objects.get(pk=workspace_id), event_type=EventType.WORKSPACE_BALANCE_LOW,
                data={"balance": -owed, "low_balance_threshold": threshold, "currency": settings.LEDGER_CURRENCY},
                subject_type="workspace", subject_id=workspace_id)


@transaction.atomic
def deposit_record(*, workspace, amount, reference: str, by: str) -> Entry:
    """Money `workspace` paid in: a `deposit` entry (a buyer-side credit of minus `amount`) naming
    the payment's `reference` and who recorded it; the buyer's balance rises by `amount`. A
    reference is booked once per buyer (DepositRefused the second time)."""
    amount = money(amount)
    if amount <= 0:
        raise LedgerInvalid({"amount": ["A deposit is money paid in: more than zero."]})
    reference = (reference or "").strip()
    if not reference:
        raise LedgerInvalid({"reference": ["Name the payment (a transfer or receipt number)."]})
    key = f"deposit:{workspace.pk}:{reference}"
    if len(key) > Entry._meta.get_field("reference").max_length:
        raise LedgerInvalid({"reference": ["Too long: shorten the payment's reference."]})
    written = ledger_entries_record(drafts=[Draft(kind=EntryKind.DEPOSIT, amount=-amount, workspace_id=workspace.pk,
                                                  reference=key, note=f"{reference} (recorded by {by})")])
    if not written:
        message = f"A deposit '{reference}' of '{workspace.pk}' is recorded already."
        raise DepositRefused(message, errors={"reference": [message]})
    return written[0]


@transaction.atomic
def ledger_adjustment_record(*, side: str, amount, note: str, by: str = "", **dimensions) -> Entry:
    """An ops correction: a signed amount on the buyer's (`workspace_id`) or the source's
    (`provider_id` / `webhook_id`) side; the note says why and, with `by`, who (the entry is
    immutable: it keeps both). A `reference` makes a resubmitted form book it once."""
    if not note.strip():
        raise LedgerInvalid({"note": ["Say why: an adjustment needs a note."]})
    if side == Side.BUYER and not dimensions.get("workspace_id"):
        raise LedgerInvalid({"workspace_id": ["A buyer-side adjustment names the buyer."]})
    if side == Side.SOURCE and not (dimensions.get("provider_id") or dimensions.get("webhook_id")):
        raise LedgerInvalid({"provider_id": ["A source-side adjustment names the provider or the webhook."]})
    if money(amount) == 0:
        raise LedgerInvalid({"amount": ["An adjustment of 0 moves no money."]})
    note = f"{note.strip()} (by {by})" if by else note.strip()
    booked = ledger_entries_record(drafts=[Draft(kind=EntryKind.ADJUSTMENT, side=side, amount=amount, note=note,
                                                 **dimensions)])
    reference = dimensions.get("reference")
    return Entry.objects.get(kind=EntryKind.ADJUSTMENT, reference=reference) if reference else booked[0]
