"""The money ledger: every money movement is one immutable row; figures are sums of rows.

A correction is a new entry (an `adjustment`, a credit), never an edit: UPDATE and DELETE on the
table are refused by a database trigger (migration 0001). Entries copy their dimensions as plain
values and keep `lead_id` without a foreign key, so deleting a workspace, a webhook or a purged
person's lead never rewrites money history.

Signs: a buyer-side entry (`side = buyer`) is what the buyer owes (a sale is positive, a credit
negative); a source-side entry is what the provider is owed (a payout is positive, a chargeback,
the payout taken back, negative). Sales are the sum of buyer-side amounts but deposits (money a
buyer paid in is no sale: `SALES`), payouts the sum of source-side amounts (net of chargebacks),
margin sales - payouts.

A buyer's balance (`Balance`) is the one stored sum: what its buyer-side entries add up to, kept
by `ledger.services.ledger_entries_record` (and by the sale's funds claim, which moves it for a
prepaid buyer in the statement that claims caps), reconciled with the entries by `ledger.verify`.
"""
from django.db import models
from django.db.models import Q
from django.utils import timezone

from leadhub.models import MONEY, MONEY_TOTAL, choices_constraint


class EntryKind(models.TextChoices):
    SALE = "sale", "Sale (a buyer owes)"
    PAYOUT = "payout", "Payout (a provider is owed)"
    RETURN_CREDIT = "return_credit", "Return credit"
    CHARGEBACK = "chargeback", "Chargeback"
    ADJUSTMENT = "adjustment", "Adjustment"
    UNDELIVERED = "undelivered", "Undelivered sale credit"
    DEPOSIT = "deposit", "Deposit (money a buyer paid in)"


class Side(models.TextChoices):
    BUYER = "buyer", "Buyer"
    SOURCE = "source", "Source"


# The side each kind books to (an adjustment names its own) and the sign its amount must have.
KIND_SIDE = {
    EntryKind.SALE: Side.BUYER, EntryKind.RETURN_CREDIT: Side.BUYER, EntryKind.UNDELIVERED: Side.BUYER,
    EntryKind.DEPOSIT: Side.BUYER, EntryKind.PAYOUT: Side.SOURCE, EntryKind.CHARGEBACK: Side.SOURCE,
}
POSITIVE_KINDS = (EntryKind.SALE, EntryKind.PAYOUT)
CREDIT_KINDS = (EntryKind.RETURN_CREDIT, EntryKind.CHARGEBACK, EntryKind.UNDELIVERED, EntryKind.DEPOSIT)
# Buyer-side kinds that are money received, not sales (sales, margin and the KPIs leave them out).
RECEIVED_KINDS = (EntryKind.DEPOSIT,)
SALES = Q(side=Side.BUYER) & ~Q(kind__in=RECEIVED_KINDS)


def counts_as_sales(side: str, kind: str) -> bool:
    """`SALES` for one entry read in Python."""
    return side == Side.BUYER and kind not in RECEIVED_KINDS


class Entry(models.Model):
    id = models.BigAutoField(primary_key=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    kind = models.CharField(max_length=20, choices=EntryKind.choices)
    side = models.CharField(max_length=10, choices=Side.choices)
    amount = models.DecimalField(**MONEY)
    currency = models.CharField(max_length=3, help_text="settings.LEDGER_CURRENCY when written.")
    workspace_id = models.CharField(max_length=64, blank=True, help_text="The buyer.")
    provider_id = models.CharField(max_length=100, blank=True)
    webhook_id = models.CharField(max_length=100, blank=True)
    lead_type = models.CharField(max_length=20, blank=True)
    subsource = models.CharField(max_length=255, blank=True)
    lead_id = models.BigIntegerField(null=True, blank=True, db_index=True)
    offer_id = models.BigIntegerField(null=True, blank=True)
    # What the entry is about, e.g. `sale:<id>`; unique per kind when set, so a retried writer
    # (a redelivered failure signal, a re-run task) cannot book the same movement twice.
    reference = models.CharField(max_length=100, blank=True)
    note = models.CharField(max_length=255, blank=True)

    class Meta:
        db_table = "ledger_entries"
        ordering = ["created_at", "id"]
        verbose_name_plural = "entries"
        indexes = [
            models.Index(fields=["workspace_id", "created_at"], name="ledger_buyer_idx"),
            models.Index(fields=["provider_id", "created_at"], name="ledger_provider_idx"),
            models.Index(fields=["webhook_id", "created_at"], name="ledger_webhook_idx"),
        ]
        constraints = [
            choices_constraint("ledger_entries", "kind", EntryKind.choices),
            choices_constraint("ledger_entries", "side", Side.choices),
            models.UniqueConstraint(fields=["kind", "reference"], condition=~Q(reference=""),
                                    name="ledger_entry_reference_uniq"),
            models.CheckConstraint(condition=~Q(kind__in=POSITIVE_KINDS) | Q(amount__gte=0),
                                   name="ledger_entries_positive_kinds"),
            models.CheckConstraint(condition=~Q(kind__in=CREDIT_KINDS) | Q(amount__lte=0),
                                   name="ledger_entries_credit_kinds"),
        ]

    def __str__(self):
        return f"{self.kind} {self.amount} {self.currency}"


class Balance(models.Model):
    """One row per buyer: `owed`, the sum of its buyer-side entries (positive: it owes; a prepaid
    buyer's balance is minus this). A prepaid sale claims funds on this row in the same
    conditional statement that claims caps (distribution.caps.caps_claim), so concurrent sales
    queue on its row lock and the one the funds do not cover is refused. Not an entry: this row
    is updated in place, and `ledger.verify` checks it against the entries."""

    workspace_id = models.CharField(max_length=64, primary_key=True)
    owed = models.DecimalField(**MONEY_TOTAL, default=0)

    class Meta:
        db_table = "ledger_balances"

    def __str__(self):
        return f"{self.workspace_id}: owes {self.owed}"
