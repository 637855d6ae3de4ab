"""Analytics writes: the daily `lead_analytics` rollup and the `conversion_analytics_cache`."""
import hashlib
import json
from datetime import date, timedelta

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from analytics import sql
from analytics.models import ConversionAnalyticsCache, LeadAnalytics

# One statement: the cohort (leads created on each UTC day per webhook) and its converted leads
# (first non-void conversion, total value) are aggregated separately, so the per-row date and
# elapsed-time expressions run once per lead and once per converted lead, then joined on
# (webhook_id, day) and upserted on UNIQUE(webhook_id, date). `WHERE true` keeps SQLite's
# INSERT … SELECT … ON CONFLICT unambiguous; PostgreSQL accepts it as is.
ROLLUP_SQL = """
WITH cohort AS (
    SELECT l.webhook_id, {day} AS cohort_day, COUNT(*) AS total_leads
    FROM leads l
    WHERE l.created_at >= %(start)s AND l.created_at < %(end)s
    GROUP BY l.webhook_id, {day}
), converted AS (
    SELECT webhook_id, cohort_day, COUNT(*) AS converted_leads, SUM(revenue) AS revenue, AVG(seconds) AS seconds
    FROM (
        SELECT l.webhook_id, {day} AS cohort_day, SUM(cv.conversion_value) AS revenue, {seconds} AS seconds
        FROM conversions cv
        JOIN leads l ON l.id = cv.lead_id
        WHERE cv.voided_at IS NULL AND l.created_at >= %(start)s AND l.created_at < %(end)s
        GROUP BY cv.lead_id, l.webhook_id, l.created_at
    ) per_lead
    GROUP BY webhook_id, cohort_day
)
INSERT INTO lead_analytics (webhook_id, date, total_leads, converted_leads, conversion_rate,
                            total_revenue, avg_time_to_conversion, created_at, updated_at)
SELECT co.webhook_id,
       co.cohort_day,
       co.total_leads,
       COALESCE(cv.converted_leads, 0),
       ROUND(100.0 * COALESCE(cv.converted_leads, 0) / co.total_leads, 2),
       COALESCE(ROUND(cv.revenue, 2), 0),
       COALESCE(ROUND(cv.seconds, 3), 0),
       %(now)s,
       %(now)s
FROM cohort co
LEFT JOIN converted cv ON cv.webhook_id = co.webhook_id AND cv.cohort_day = co.cohort_day
WHERE true
ON CONFLICT (webhook_id, date) DO UPDATE SET
    total_leads = excluded.total_leads,
    converted_leads = excluded.converted_leads,
    conversion_rate = excluded.conversion_rate,
    total_revenue = excluded.total_revenue,
    avg_time_to_conversion = excluded.avg_time_to_conversion,
    updated_at = excluded.updated_at
"""


@transaction.atomic
def lead_analytics_rollup(*, date_from: date, date_to: date) -> int:
    """(Re)compute `lead_analytics` for the UTC days [date_from, date_to]; returns rows written.

    Idempotent: a re-run rewrites the same rows, picks up late conversions and voids, and drops
    rows of days whose leads no longer exist (e.g. purged contacts).
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
        day=sql.utc_day("l.created_at"), seconds=sql.seconds_between("l.created_at", "MIN(cv.converted_at)")
    )
    sql.analytic_work_mem()
    with connection.cursor() as cursor:
        cursor.execute(statement, {"now": sql.ts(run_at), "start": start, "end": end})
    in_range = LeadAnalytics.objects.filter(date__gte=date_from, date__lte=date_to)
    in_range.filter(updated_at__lt=run_at).delete()
    return in_range.count()  # (SQLite reports no rowcount for a WITH … INSERT)


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
