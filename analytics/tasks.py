"""Beat entry points (see CELERY_BEAT_SCHEDULE); the work lives in analytics.services."""
from celery import shared_task

from analytics.services import analytics_cache_purge, lead_analytics_rollup_recent


@shared_task(name="analytics.tasks.rollup_recent_days")
def rollup_recent_days():
    return lead_analytics_rollup_recent()


@shared_task(name="analytics.tasks.purge_analytics_cache")
def purge_analytics_cache():
    return analytics_cache_purge()
