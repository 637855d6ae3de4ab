"""Figures derived from the ledger: sales (buyer side, deposits left out), payouts (source side)
and margin; a buyer's balance.

"revenue" means conversion value elsewhere in leadhub; these are money movements. Every figure is
a GROUP BY over entries, never a stored total, but a buyer's balance: its one stored sum
(ledger.models.Balance), which ledger.verify checks against the entries.
"""
from datetime import datetime
from decimal import Decimal

from django.conf import settings
from django.db.models import DecimalField, Q, Sum, Value
from django.db.models.functions import Coalesce, TruncDate
from django.utils import timezone

from leadhub.models import MONEY_TOTAL

from .models import SALES, Balance, Entry, Side

ZERO = Decimal("0.00")
# Per buyer (workspace_id), per provider (provider_id), per UTC day, or per webhook.
GROUPINGS = {"buyer": "workspace_id", "provider": "provider_id", "webhook": "webhook_id", "day": "day"}


def _sum(condition):
    return Coalesce(Sum("amount", filter=condition), Value(ZERO), output_field=DecimalField(**MONEY_TOTAL))


def ledger_figures(*, by: str, since: datetime | None = None, until: datetime | None = None,
                   entries=None) -> dict:
    """{group: {"sales", "payouts", "margin"}} for `by` in GROUPINGS, over [since, until)."""
    rows = Entry.objects.all() if entries is None else entries
    if since is not None:
        rows = rows.filter(created_at__gte=since)
    if until is not None:
        rows = rows.filter(created_at__lt=until)
    column = GROUPINGS[by]
    if column == "day":
        rows = rows.annotate(day=TruncDate("created_at"))
    figures = {}
    for row in rows.order_by().values(column).annotate(
        sales=_sum(SALES), payouts=_sum(Q(side=Side.SOURCE))
    ):
        figures[row[column]] = {"sales": row["sales"], "payouts": row["payouts"],
                                "margin": row["sales"] - row["payouts"]}
    return figures


def ledger_totals(*, entries=None) -> dict:
    rows = Entry.objects.all() if entries is None else entries
    totals = rows.aggregate(sales=_sum(SALES), payouts=_sum(Q(side=Side.SOURCE)))
    return {**totals, "margin": totals["sales"] - totals["payouts"]}


def funds_available(*, workspace, owed) -> Decimal:
    """A buyer's available funds: its balance (minus what its balance row says it owes) plus its
    credit limit. What a prepaid buyer may still buy for (the engine, the unsold sweep, the API)."""
    return workspace.credit_limit - owed


def balance_get(*, workspace) -> dict:
    """What `workspace` has: its billing mode, balance (money paid in and credited less what it
    bought: minus its balance row), credit limit, available funds (balance + credit limit), its
    low-balance threshold and the currency, as of now. One query (its balance row)."""
    owed = Balance.objects.filter(workspace_id=workspace.pk).values_list("owed", flat=True).first() or ZERO
    balance = ZERO - owed
    return {
        "billing_mode": workspace.billing_mode, "balance": balance, "credit_limit": workspace.credit_limit,
        "available": funds_available(workspace=workspace, owed=owed), "low_balance_threshold": workspace.low_balance_threshold,
        "currency": settings.LEDGER_CURRENCY, "as_of": timezone.now(),
    }
