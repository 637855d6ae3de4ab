"""Analytics writes: the daily `lead_analytics` rollup and the `conversion_analytics_cache`."""
import hashlib
import json
from datetime import date, timedelta
from decimal import Decimal

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from analytics import sql
from analytics.models import ConversionAnalyticsCache, LeadAnalytics

CENT = Decimal("0.01")

# One aggregate query and one scan of the leads: each lead of the range is joined to its
# conversions summarised per lead (first non-void conversion, total value) and grouped per
# (webhook_id, UTC day). A plain SELECT (not INSERT … SELECT) so PostgreSQL may run it in parallel.
ROLLUP_SQL = """
SELECT l.webhook_id, {day} AS cohort_day, COUNT(*) AS total_leads, COUNT(c.lead_id) AS converted_leads,
       SUM(c.revenue) AS revenue, AVG({seconds}) AS seconds
FROM leads l
LEFT JOIN (
    SELECT cv.lead_id, MIN(cv.converted_at) AS first_at, SUM(cv.conversion_value) AS revenue
    FROM conversions cv
    WHERE cv.voided_at IS NULL AND cv.lead_id IS NOT NULL
    GROUP BY cv.lead_id
) c ON c.lead_id = l.id
WHERE l.created_at >= %(start)s AND l.created_at < %(end)s
GROUP BY l.webhook_id, {day}
"""
ROLLUP_FIELDS = ["total_leads", "converted_leads", "conversion_rate", "total_revenue", "avg_time_to_conversion", "updated_at"]


@transaction.atomic
def lead_analytics_rollup(*, date_from: date, date_to: date) -> int:
    """(Re)compute `lead_analytics` for the UTC days [date_from, date_to]; returns rows written.

    One aggregate query, then one bulk upsert of its rows (one per webhook and day, never per
    lead) on UNIQUE(webhook_id, date). Idempotent: a re-run rewrites the same rows, picks up late
    conversions and voids, and drops rows of days whose leads no longer exist (purged contacts).
    """
    if date_from > date_to:
        raise ValueError("date_from must not be after date_to")
    if sql.is_postgres():
        # Two overlapping runs (beat + a manual backfill) would otherwise race on the same rows.
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(hashtext('analytics.rollup'))")
    run_at = timezone.now()
    start, end = sql.day_bounds(date_from, date_to)
    statement = ROLLUP_SQL.format(
        day=sql.utc_day("l.created_at"), seconds=sql.seconds_between("l.created_at", "c.first_at")
    )
    rows = [
        LeadAnalytics(
            webhook_id=row["webhook_id"],
            date=sql.as_date(row["cohort_day"]),
            total_leads=row["total_leads"],
            converted_leads=row["converted_leads"] or 0,
            conversion_rate=round(100.0 * (row["converted_leads"] or 0) / row["total_leads"], 2),
            total_revenue=Decimal(str(row["revenue"] or 0)).quantize(CENT),
            avg_time_to_conversion=round(float(row["seconds"] or 0), 3),
        )
        for row in sql.fetch_dicts(statement, {"start": start, "end": end})
    ]
    LeadAnalytics.objects.bulk_create(
        rows, batch_size=2000, update_conflicts=True, unique_fields=["webhook_id", "date"], update_fields=ROLLUP_FIELDS
    )
    LeadAnalytics.objects.filter(date__gte=date_from, date__lte=date_to, updated_at__lt=run_at).delete()
    return len(rows)


def lead_analytics_rollup_recent(*, days: int | None = None, today: date | None = None) -> int:
    """The nightly run: today and the previous `days` days, so late conversions reach their cohort."""
    days = settings.ANALYTICS_ROLLUP_DAYS if days is None else days
    today = today or timezone.now().date()
    return lead_analytics_rollup(date_from=today - timedelta(days=days), date_to=today)


def analytics_cache_key(*, kpi: str, caller: str, params: dict) -> str:
    """Readable prefix for ops, a digest of the normalised parameters for uniqueness."""
    digest = hashlib.sha256(json.dumps(params, sort_keys=True, default=str).encode()).hexdigest()[:32]
    return f"{kpi}:{caller}:{digest}"[:255]


def analytics_cached(*, kpi: str, caller: str, params: dict, compute, ttl_seconds: int | None = None):
    """A cached KPI answer for this caller and query, computing and storing it when missing or expired.

    Returns (data, cached). The key includes the caller so a workspace never reads another
    workspace's (or ops') figures.
    """
    key = analytics_cache_key(kpi=kpi, caller=caller, params=params)
    now = timezone.now()
    hit = ConversionAnalyticsCache.objects.filter(cache_key=key, expires_at__gt=now).values_list("cache_data", flat=True).first()
    if hit is not None:
        return hit, True
    data = json.loads(json.dumps(compute(), default=str))
    ttl = settings.ANALYTICS_CACHE_TTL_SECONDS if ttl_seconds is None else ttl_seconds
    ConversionAnalyticsCache.objects.bulk_create(
        [ConversionAnalyticsCache(cache_key=key, cache_data=data, expires_at=now + timedelta(seconds=ttl))],
        update_conflicts=True,
        unique_fields=["cache_key"],
        update_fields=["cache_data", "expires_at", "created_at"],
    )
    return data, False


def analytics_cache_purge(*, now=None) -> int:
    """Delete expired cache rows (beat task); returns how many went."""
    deleted, _ = ConversionAnalyticsCache.objects.filter(expires_at__lte=now or timezone.now()).delete()
    return deleted
