"""The ledger's own check: every derived figure, and every buyer's balance row, equals the sum of
its entries. The reconciliation
with the rows that caused the entries (sales, payouts, credits) is analytics.reconcile, which
`manage.py verify_ledger` runs with this."""
from collections import defaultdict
from datetime import UTC
from decimal import Decimal

from .models import Balance, Entry, Side, counts_as_sales
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
    owed = defaultdict(Decimal)
    fields = ("created_at", "kind", "side", "amount", "workspace_id", "provider_id", "webhook_id")
    for entry in Entry.objects.only(*fields).order_by("id").iterator(chunk_size=5000):
        if entry.side == Side.BUYER:
            owed[entry.workspace_id] += entry.amount
        if entry.side == Side.BUYER and not counts_as_sales(entry.side, entry.kind):
            continue  # money received (a deposit) moves the balance, not the sales
        figure = "sales" if entry.side == Side.BUYER else "payouts"
        for by, sums in by_entry.items():
            sums[_group_value(entry, by)][figure] += entry.amount
    problems = _balances_check(owed)
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


def _balances_check(owed: dict) -> list[str]:
    """Each buyer's balance row against the sum of its buyer-side entries (`owed`), both ways."""
    rows = dict(Balance.objects.values_list("workspace_id", "owed"))
    problems = []
    for buyer in sorted((set(rows) | set(owed)) - {""}):
        want, got = owed.get(buyer, Decimal("0")), rows.get(buyer)
        if got is None and want:
            problems.append(f"balance {buyer}: no balance row, sum of entries {want}")
        elif got is not None and got != want:
            problems.append(f"balance {buyer}: {got} != sum of entries {want}")
    return problems
