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
    buyer's; two queries (caps, then their current usage), none when no candidate has one."""
    if not candidates:
        return
    offer_ids = {c.offer.pk for c in candidates}
    buyer_ids = {c.offer.workspace_id for c in candidates}
    caps = list(Cap.objects.filter(Q(offer_id__in=offer_ids) | Q(offer__isnull=True, workspace_id__in=buyer_ids)))
    for candidate in candidates:
        candidate.caps = []
    if not caps:
        return
    zones = {c.offer.workspace_id: c.offer.workspace.time_zone for c in candidates}
    starts = {cap.pk: window_start(cap.window, at, zones[cap.workspace_id]) for cap in caps}
    windows = Q()
    for cap in caps:
        windows |= Q(cap_id=cap.pk, window_start=starts[cap.pk])
    used = {cap_id: value for cap_id, value in CapUsage.objects.filter(windows).values_list("cap_id", "used")}
    for candidate in candidates:
        offer = candidate.offer
        candidate.caps = [
            (cap, starts[cap.pk], used.get(cap.pk, Decimal("0"))) for cap in sorted(caps, key=lambda cap: cap.pk)
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


# Amounts are cast so SQLite (which binds Decimals as text) compares numbers too.
_CLAIM = (
    "INSERT INTO {table} (cap_id, window_start, used) SELECT %s, %s, CAST(%s AS NUMERIC) "
    "WHERE CAST(%s AS NUMERIC) <= CAST(%s AS NUMERIC) "
    "ON CONFLICT (cap_id, window_start) DO UPDATE SET used = {table}.used + excluded.used "
    "WHERE {table}.used + excluded.used <= CAST(%s AS NUMERIC) RETURNING id"
)


def caps_claim(claims) -> set:
    """Take `claims` [(cap, window start, amount)] in cap order (so two sales never wait on each
    other crosswise); the ids of the caps that refused (empty: every claim holds). The caller
    claims inside a savepoint and rolls it back on a refusal, which gives back the rest."""
    table = CapUsage._meta.db_table
    refused = set()
    with connection.cursor() as cursor:
        for cap, start, amount in sorted(claims, key=lambda claim: (claim[0].pk, claim[1])):
            start = connection.ops.adapt_datetimefield_value(start)
            cursor.execute(_CLAIM.format(table=table), [cap.pk, start, amount, amount, cap.maximum, cap.maximum])
            if cursor.fetchone() is None:
                refused.add(cap.pk)
    return refused
