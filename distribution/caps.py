"""Caps by count and spend, per hour, day, week (from Monday) and month of the buyer's clock.

A cap's window starts at the buyer's local hour, midnight, Monday midnight or first of the month
(`windows.time_zone`), so a daily cap resets at the buyer's midnight, and a DST day is 23 or 25
hours long. Usage is one row per (cap, window start), moved only by `caps_claim`'s conditional
upsert inside the distribution transaction: concurrent sales queue on the row lock and the
database refuses the one that would pass the cap. The same statement claims each buyer's funds
on its balance row (a prepaid buyer's must cover the price). Nothing here reads Redis or the cache.
"""
from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.db import connection
from django.db.models import Q

from ledger.models import Balance
from ledger.services import balance_low_tell, total_read
from workspaces.models import BillingMode, Workspace

from .models import Cap, CapMeasure, CapUsage, CapWindow


def window_start(window: str, at: datetime, time_zone: str) -> datetime:
    """The start (UTC) of the `window` holding `at` on the clock of `time_zone`."""
    zone = ZoneInfo(time_zone or "UTC")
    local = at.astimezone(zone)
    if window == CapWindow.HOUR:
        start = local.replace(minute=0, second=0, microsecond=0)  # keeps `fold`: the repeated hour stays apart
    else:
        day = local.date()
        if window == CapWindow.WEEK:
            day -= timedelta(days=day.weekday())
        elif window == CapWindow.MONTH:
            day = day.replace(day=1)
        start = datetime.combine(day, time(0), tzinfo=zone)
    return start.astimezone(UTC)


def caps_attach(candidates, *, at: datetime):
    """Give each candidate `caps`: [(cap, window start, used so far)] for its offer's caps and its
    buyer's. The caps come with the candidates when the engine read them with their offers (else
    one query reads them); their current usage is one query, none when no candidate has a cap."""
    for candidate in candidates:
        candidate.caps = []
    if not candidates:
        return
    if all(c.offer_caps is not None for c in candidates):
        caps = list({cap.pk: cap for c in candidates for cap in c.offer_caps}.values())
    else:
        caps = list(Cap.objects.filter(Q(offer_id__in={c.offer.pk for c in candidates})
                                       | Q(offer__isnull=True, workspace_id__in={c.offer.workspace_id for c in candidates})))
    if not caps:
        return
    zones = {c.offer.workspace_id: c.offer.workspace.time_zone for c in candidates}
    starts = {cap.pk: window_start(cap.window, at, zones[cap.workspace_id]) for cap in caps}
    windows = Q()
    for cap in caps:
        windows |= Q(cap_id=cap.pk, window_start=starts[cap.pk])
    used = {cap_id: value for cap_id, value in CapUsage.objects.filter(windows).values_list("cap_id", "used")}
    caps.sort(key=lambda cap: cap.pk)
    for candidate in candidates:
        offer = candidate.offer
        candidate.caps = [
            (cap, starts[cap.pk], used.get(cap.pk, Decimal("0"))) for cap in caps
            if cap.offer_id == offer.pk or (cap.offer_id is None and cap.workspace_id == offer.workspace_id)
        ]


def claim_amount(cap, price) -> Decimal:
    return Decimal("1") if cap.measure == CapMeasure.COUNT else Decimal(price)


def cap_full(candidate, price) -> str | None:
    """The verdict of the first cap this sale would pass by what was read (`caps_attach`), or None."""
    for cap, _start, used in getattr(candidate, "caps", ()):
        if used + claim_amount(cap, price) > cap.maximum:
            return cap.verdict
    return None


@dataclass
class Claimed:
    """What `caps_claim` refused: `caps` (ids of the caps a claim would pass) and `buyers` (prepaid
    buyers whose available funds do not cover their sales); false when every claim holds."""

    caps: set = field(default_factory=set)
    buyers: set = field(default_factory=set)

    def __bool__(self):
        return bool(self.caps or self.buyers)


def caps_claim(claims, *, funds=()) -> Claimed:
    """Take `claims` [(cap, window start, amount)] and the buyers' `funds` [(buyer id, price)] in
    one conditional statement; what was refused (`Claimed`, false when every claim holds).

    Caps: one upsert, rows in cap order (so two sales never wait on each other crosswise); each
    usage row moves only while it stays within its cap's maximum as stored. Funds: each buyer's
    balance row (ledger.models.Balance) moves by its sales, in buyer order and before the caps;
    a buyer prepaid as stored only while what it owes stays within its credit limit (its balance
    plus its credit limit covers the price), an invoiced one always. Concurrent sales queue on
    the row locks and the database refuses the one that would pass a cap or its funds. On
    PostgreSQL both are one statement (two data-modifying CTEs); SQLite, which has none, runs them
    one after the other under its one writer's lock. On a refusal the caller rolls its
    transaction back, which gives back the rest. A balance this took below its buyer's
    low-balance threshold is told (ledger.services.balance_low_tell)."""
    amounts = {}
    for cap, start, amount in claims:
        amounts[cap.pk, start] = amounts.get((cap.pk, start), Decimal("0")) + Decimal(amount)
    prices = {}
    for buyer, price in funds:
        prices[buyer] = prices.get(buyer, Decimal("0")) + Decimal(price)
    statements = []
    if prices:
        params = [value for buyer in sorted(prices) for value in (buyer, prices[buyer])]
        statements.append((_funds_sql(len(prices)), params))
    if amounts:
        params = []
        for (cap_id, start), amount in sorted(amounts.items()):
            params += [cap_id, connection.ops.adapt_datetimefield_value(start), amount]
        statements.append((_caps_sql(len(amounts)), params))
    if connection.vendor == "postgresql" and len(statements) == 2:
        (funds_sql, funds_params), (caps_sql, caps_params) = statements
        statements = [(f"WITH funds AS ({funds_sql}), claimed AS ({caps_sql}) "
                       f"SELECT 'funds', workspace_id, owed, threshold FROM funds "
                       f"UNION ALL SELECT 'cap', CAST(cap_id AS TEXT), NULL, NULL FROM claimed",
                       funds_params + caps_params)]
    taken = []
    with connection.cursor() as cursor:
        for sql, params in statements:
            cursor.execute(sql, params)
            taken += cursor.fetchall()
    claimed_caps = {int(key) for what, key, _owed, _threshold in taken if what == "cap"}
    balances = {key: (owed, threshold) for what, key, owed, threshold in taken if what == "funds"}
    for buyer, (owed, threshold) in balances.items():
        owed = total_read(owed)
        balance_low_tell(workspace_id=buyer, owed_before=owed - prices[buyer], owed=owed,
                         threshold=None if threshold is None else total_read(threshold))
    return Claimed(caps={cap_id for cap_id, _start in amounts} - claimed_caps, buyers=set(prices) - set(balances))


def _caps_sql(n: int) -> str:
    usage, caps = CapUsage._meta.db_table, Cap._meta.db_table
    rows = " UNION ALL ".join(["SELECT %s AS cap_id, %s AS window_start, CAST(%s AS NUMERIC) AS amount"] * n)
    # Amounts are cast so SQLite (which binds Decimals as text) compares numbers too.
    return (
        f"INSERT INTO {usage} (cap_id, window_start, used) SELECT c.cap_id, c.window_start, c.amount "
        f"FROM ({rows}) c JOIN {caps} cap ON cap.id = c.cap_id WHERE c.amount <= CAST(cap.maximum AS NUMERIC) "
        f"ORDER BY c.cap_id, c.window_start "
        f"ON CONFLICT (cap_id, window_start) DO UPDATE SET used = {usage}.used + excluded.used "
        f"WHERE {usage}.used + excluded.used <= (SELECT CAST(maximum AS NUMERIC) FROM {caps} WHERE id = excluded.cap_id) "
        f"RETURNING 'cap' AS what, cap_id, NULL AS owed, NULL AS threshold"
    )


def _funds_sql(n: int) -> str:
    balances, workspaces = Balance._meta.db_table, Workspace._meta.db_table

    def limit(buyer):  # a prepaid buyer's credit limit as stored; NULL (no limit) for an invoiced one
        return (f"(SELECT CASE WHEN w.billing_mode = '{BillingMode.PREPAID}' THEN CAST(w.credit_limit AS NUMERIC) "
                f"END FROM {workspaces} w WHERE w.id = {buyer})")

    rows = " UNION ALL ".join(["SELECT %s AS workspace_id, CAST(%s AS NUMERIC) AS amount"] * n)
    # A buyer without a row owes nothing yet; one with a row (it may be in credit) is decided by
    # the conflict's condition on the row as locked.
    return (
        f"INSERT INTO {balances} (workspace_id, owed) SELECT f.workspace_id, f.amount FROM ({rows}) f "
        f"WHERE COALESCE(f.amount <= {limit('f.workspace_id')}, TRUE) "
        f"OR EXISTS (SELECT 1 FROM {balances} b WHERE b.workspace_id = f.workspace_id) ORDER BY f.workspace_id "
        f"ON CONFLICT (workspace_id) DO UPDATE SET owed = {balances}.owed + excluded.owed "
        f"WHERE COALESCE({balances}.owed + excluded.owed <= {limit('excluded.workspace_id')}, TRUE) "
        f"RETURNING 'funds' AS what, workspace_id, owed, "
        f"(SELECT w.low_balance_threshold FROM {workspaces} w WHERE w.id = {balances}.workspace_id) AS threshold"
    )
