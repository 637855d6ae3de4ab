"""Analytics writes: the daily `lead_analytics` rollup and the `conversion_analytics_cache`."""
import hashlib
import json
from datetime import date, timedelta

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from analytics import sql
from analytics.models import ConversionAnalyticsCache


# Two aggregates joined on the cohort key: the leads counted per (webhook_id, UTC day) — the
# scan floor itself — and only the converted leads (their non-void conversions summarised per
# lead) with revenue and time to first conversion. Aggregating the conversion columns over every
# lead would cost a hash join and four aggregates per lead; most leads never convert.
ROLLUP_SQL = """
WITH cohort AS (
    SELECT l.webhook_id, {day} AS cohort_day, COUNT(*) AS total_leads
    FROM leads l
    WHERE l.created_at >= %(start)s AND l.created_at < %(end)s
    GROUP BY l.webhook_id, {day}
), converted AS (
    SELECT l.webhook_id, {day} AS cohort_day, COUNT(*) AS converted_leads, SUM(c.revenue) AS revenue,
           AVG({seconds}) AS seconds
    FROM (
        SELECT cv.lead_id, MIN(cv.converted_at) AS first_at, SUM(cv.conversion_value) AS revenue
        FROM conversions cv
        WHERE cv.voided_at IS NULL AND cv.lead_id IS NOT NULL
        GROUP BY cv.lead_id
    ) c
    JOIN leads l ON l.id = c.lead_id
    WHERE l.created_at >= %(start)s AND l.created_at < %(end)s
    GROUP BY l.webhook_id, {day}
)
SELECT cohort.webhook_id, cohort.cohort_day, cohort.total_leads,
       COALESCE(converted.converted_leads, 0) AS converted_leads,
       COALESCE(converted.revenue, 0) AS revenue, COALESCE(converted.seconds, 0) AS seconds
FROM cohort
LEFT JOIN converted ON converted.webhook_id = cohort.webhook_id AND converted.cohort_day = cohort.cohort_day
"""
# The rows stay in the database: CREATE TABLE … AS may run the aggregate in parallel (an
# INSERT … SELECT may not), and the upsert then reads the small result table. Shipping the rows
# through Python and back cost more than the aggregate itself. ("WHERE true" lets SQLite parse
# ON CONFLICT after a SELECT.)
UPSERT_SQL = """
INSERT INTO lead_analytics (webhook_id, date, total_leads, converted_leads, conversion_rate, total_revenue,
                            avg_time_to_conversion, created_at, updated_at)
SELECT webhook_id, cohort_day, total_leads, converted_leads, ROUND(100.0 * converted_leads / total_leads, 2),
       ROUND(revenue, 2), ROUND(CAST(seconds AS NUMERIC), 3), %(run_at)s, %(run_at)s
FROM lead_analytics_run
WHERE true
ON CONFLICT (webhook_id, date) DO UPDATE SET
    total_leads = excluded.total_leads, converted_leads = excluded.converted_leads,
    conversion_rate = excluded.conversion_rate, total_revenue = excluded.total_revenue,
    avg_time_to_conversion = excluded.avg_time_to_conversion, updated_at = excluded.updated_at
"""


@transaction.atomic
def lead_analytics_rollup(*, date_from: date, date_to: date) -> int:
    """(Re)compute `lead_analytics` for the UTC days [date_from, date_to]; returns rows written.

    One aggregate query into a temporary table, then one upsert of its rows (one per webhook and
    day, never per lead) on UNIQUE(webhook_id, date). Idempotent: a re-run rewrites the same rows,
    picks up late conversions and voids, and drops rows of days whose leads no longer exist
    (purged contacts).
    """
    if date_from > date_to:
        raise ValueError("date_from must not be after date_to")
    start, end = sql.day_bounds(date_from, date_to)
    run_at = sql.ts(timezone.now())
    adapt_date = connection.ops.adapt_datefield_value
    aggregate = ROLLUP_SQL.format(
        day=sql.utc_day("l.created_at"), seconds=sql.seconds_between("l.created_at", "c.first_at")
    )
    with connection.cursor() as cursor:
        if sql.is_postgres():
            # Two overlapping runs (beat + a manual backfill) would otherwise race on the same rows.
            cursor.execute("SELECT pg_advisory_xact_lock(hashtext('analytics.rollup'))")
        # A failure rolls the whole transaction back, the temporary table with it.
        cursor.execute(f"CREATE TEMPORARY TABLE lead_analytics_run AS {aggregate}", {"start": start, "end": end})
        cursor.execute(UPSERT_SQL, {"run_at": run_at})
        written = cursor.rowcount
        cursor.execute(
            "DELETE FROM lead_analytics WHERE date >= %s AND date <= %s AND updated_at < %s",
            [adapt_date(date_from), adapt_date(date_to), run_at],
        )
        cursor.execute("DROP TABLE lead_analytics_run")
    return written


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
