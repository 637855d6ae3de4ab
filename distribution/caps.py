"""Caps by count and spend, per hour, day, week (from Monday) and month of the buyer's clock.

A cap's window starts at the buyer's local hour, midnight, Monday midnight or first of the month
(`windows.time_zone`), so a daily cap resets at the buyer's midnight, and a DST day is 23 or 25
hours long. Usage is one row per (cap, window start), moved only by `caps_claim`'s conditional
upsert inside the distribution transaction: concurrent sales queue on the row lock and the
database refuses the one that would pass the cap. Nothing here reads Redis or the cache.
"""
from datetime import UTC, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.db import connection
from django.db.models import Q

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


def caps_claim(claims) -> set:
    """Take `claims` [(cap, window start, amount)] in one conditional upsert, rows in cap order (so
    two sales never wait on each other crosswise); the ids of the caps that refused (empty: every
    claim holds). Each usage row moves only while it stays within its cap's maximum as stored, so
    concurrent sales queue on the row lock and the database refuses the one that would pass it.
    On a refusal the caller rolls its transaction back, which gives back the rest."""
    amounts = {}
    for cap, start, amount in claims:
        amounts[cap.pk, start] = amounts.get((cap.pk, start), Decimal("0")) + Decimal(amount)
    if not amounts:
        return set()
    usage, caps = CapUsage._meta.db_table, Cap._meta.db_table
    rows = " UNION ALL ".join(["SELECT %s AS cap_id, %s AS window_start, CAST(%s AS NUMERIC) AS amount"] * len(amounts))
    params = []
    for (cap_id, start), amount in sorted(amounts.items()):
        params += [cap_id, connection.ops.adapt_datetimefield_value(start), amount]
    # Amounts are cast so SQLite (which binds Decimals as text) compares numbers too.
    sql = (
        f"INSERT INTO {usage} (cap_id, window_start, used) SELECT c.cap_id, c.window_start, c.amount "
        f"FROM ({rows}) c JOIN {caps} cap ON cap.id = c.cap_id WHERE c.amount <= CAST(cap.maximum AS NUMERIC) "
        f"ORDER BY c.cap_id, c.window_start "
        f"ON CONFLICT (cap_id, window_start) DO UPDATE SET used = {usage}.used + excluded.used "
        f"WHERE {usage}.used + excluded.used <= (SELECT CAST(maximum AS NUMERIC) FROM {caps} WHERE id = excluded.cap_id) "
        f"RETURNING cap_id"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        claimed = {row[0] for row in cursor.fetchall()}
    return {cap_id for cap_id, _start in amounts} - claimed
