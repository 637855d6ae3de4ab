"""Statements: what a buyer or a source moved in one week or month, closed once and kept.

A statement is written only when its period closes (billing.services.statements_close); from
then on its figures are a snapshot that nothing updates (the database refuses an UPDATE of a
statement or a line: migration 0002). Its lines are the ledger entries it
took, one `StatementLine` each: an entry belongs to the first statement of its party and period
kind closed after it was committed whose period ends after its `created_at` — the period it was
written in, or, when that one was closed before the entry was committed (a late return), the
next open one. The unique (entry, period kind) line makes counting an entry twice impossible.
Party and entry are plain values, as in the ledger: money history outlives its parties.
"""
from django.db import models
from django.utils import timezone

from leadhub.models import MONEY_TOTAL, choices_constraint

from .periods import MONTH, WEEK


class PartyKind(models.TextChoices):
    BUYER = "buyer", "Buyer (a workspace)"
    SOURCE = "source", "Source (a provider)"


class PeriodKind(models.TextChoices):
    WEEK = WEEK, "Week"
    MONTH = MONTH, "Month"


def money_figure(**kwargs):
    return models.DecimalField(**MONEY_TOTAL, default=0, **kwargs)


class Statement(models.Model):
    party_kind = models.CharField(max_length=10, choices=PartyKind.choices)
    party_id = models.CharField(max_length=100, help_text="The workspace id (buyer) or provider id (source).")
    period_kind = models.CharField(max_length=10, choices=PeriodKind.choices)
    period = models.CharField(max_length=10, help_text="`2026-W49` (ISO week) or `2026-12` (month).")
    time_zone = models.CharField(max_length=64, help_text="The party's zone the period was cut in.")
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    closed_at = models.DateTimeField(default=timezone.now)
    entry_count = models.PositiveIntegerField(default=0)
    # Buyer figures (buyer-side entries).
    leads_bought = models.PositiveIntegerField(default=0)
    appointments_bought = models.PositiveIntegerField(default=0)
    gross_sales = money_figure()
    returns_credited = money_figure()
    undelivered_credited = money_figure()
    deposits = money_figure()
    conversions_reported = models.PositiveIntegerField(
        default=0, help_text="Conversions the buyer reported in the period: the one figure not from the ledger.")
    # Source figures (source-side entries).
    leads_accepted = models.PositiveIntegerField(default=0, help_text="Payout entries: leads (or appointments) paid.")
    payouts = money_figure()
    chargebacks = money_figure()
    # Both.
    adjustments = money_figure()
    net = money_figure(help_text="The sum of every entry on the statement.")

    class Meta:
        db_table = "billing_statements"
        ordering = ["-starts_at", "-id"]
        constraints = [
            choices_constraint("billing_statements", "party_kind", PartyKind.choices),
            choices_constraint("billing_statements", "period_kind", PeriodKind.choices),
            models.UniqueConstraint(fields=["party_kind", "party_id", "period_kind", "period"],
                                    name="billing_statement_once_per_period"),
        ]
        indexes = [models.Index(fields=["party_kind", "party_id", "period_kind", "starts_at"],
                                name="billing_statement_party_idx")]

    def __str__(self):
        return f"{self.party_kind} {self.party_id} {self.period}"


class StatementLine(models.Model):
    """One ledger entry on one statement (a buyer's or a source's, by the entry's side)."""

    statement = models.ForeignKey(Statement, on_delete=models.CASCADE, related_name="lines")
    entry_id = models.BigIntegerField(help_text="ledger_entries.id (no foreign key: the ledger stands alone).")
    period_kind = models.CharField(max_length=10, choices=PeriodKind.choices)

    class Meta:
        db_table = "billing_statement_lines"
        ordering = ["entry_id"]
        constraints = [
            models.UniqueConstraint(fields=["entry_id", "period_kind"], name="billing_line_entry_once_per_kind"),
        ]

    def __str__(self):
        return f"entry {self.entry_id} on {self.statement_id}"
