"""The money ledger: every money movement is one immutable row; figures are sums of rows.

A correction is a new entry (an `adjustment`, a credit), never an edit: UPDATE and DELETE on the
table are refused by a database trigger (migration 0001). Entries copy their dimensions as plain
values and keep `lead_id` without a foreign key, so deleting a workspace, a webhook or a purged
person's lead never rewrites money history.

Signs: a buyer-side entry (`side = buyer`) is what the buyer owes (a sale is positive, a credit
negative); a source-side entry is what the provider is owed (a payout is positive, a chargeback,
the payout taken back, negative). Sales are the sum of buyer-side amounts, payouts the sum of
source-side amounts (net of chargebacks), margin sales - payouts.
"""
from django.db import models
from django.db.models import Q
from django.utils import timezone

from leadhub.models import MONEY, choices_constraint


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
