"""The ledger's own check: every derived figure equals the sum of its entries. The reconciliation
with the rows that caused the entries (sales, payouts, credits) is analytics.reconcile, which
`manage.py verify_ledger` runs with this."""
from collections import defaultdict
from datetime import UTC
from decimal import Decimal

from .models import Entry, Side
from .selectors import GROUPINGS, ledger_figures


def _group_value(entry, by):
    if by == "day":
        return entry.created_at.astimezone(UTC).date()
    return getattr(entry, GROUPINGS[by])


def ledger_verify() -> list[str]:
    """Mismatches (empty when the ledger holds) between `ledger_figures` per buyer, provider,
    webhook and day and a plain sum of every entry read one by one. Reads the database only, never the cache."""
    by_entry = {by: defaultdict(lambda: {"sales": Decimal("0"), "payouts": Decimal("0")})
                for by in ("buyer", "provider", "webhook", "day")}
    fields = ("created_at", "side", "amount", "workspace_id", "provider_id", "webhook_id")
    for entry in Entry.objects.only(*fields).order_by("id").iterator(chunk_size=5000):
        figure = "sales" if entry.side == Side.BUYER else "payouts"
        for by, sums in by_entry.items():
            sums[_group_value(entry, by)][figure] += entry.amount
    problems = []
    for by, sums in by_entry.items():
        derived = ledger_figures(by=by)
        for group in sorted(set(sums) | set(derived), key=str):
            want = sums.get(group, {"sales": Decimal("0"), "payouts": Decimal("0")})
            got = derived.get(group, {"sales": Decimal("0"), "payouts": Decimal("0"), "margin": Decimal("0")})
            want_margin = want["sales"] - want["payouts"]
            for name, expected in (("sales", want["sales"]), ("payouts", want["payouts"]), ("margin", want_margin)):
                if got[name] != expected:
                    problems.append(f"{by} {group or '(none)'}: {name} {got[name]} != sum of entries {expected}")
    return problems
