"""A provider's accepted posts, counted per (provider, webhook, UTC day)."""
from datetime import timedelta

from django.db import connection
from django.db.models import Q

from providers.models import LeadSourceProvider


def provider_usage_record(*, provider, webhook_id, now):
    """Count one accepted post: the (provider, webhook, UTC day) row goes up inside the database,
    and `last_used_at` moves at most once a minute so the provider row stays out of the hot path."""
    ops = connection.ops
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO provider_usage_log (provider_id, webhook_id, date, request_count, created_at) "
            "VALUES (%s, %s, %s, 1, %s) "
            "ON CONFLICT (provider_id, webhook_id, date) "
            "DO UPDATE SET request_count = provider_usage_log.request_count + 1",
            [provider.provider_id, webhook_id, ops.adapt_datefield_value(now.date()), ops.adapt_datetimefield_value(now)],
        )
    stale = now - timedelta(minutes=1)
    if provider.last_used_at is not None and provider.last_used_at >= stale:
        return  # stamped within the minute when this request loaded the provider: no statement at all
    LeadSourceProvider.objects.filter(Q(last_used_at__isnull=True) | Q(last_used_at__lt=stale), pk=provider.pk).update(
        last_used_at=now
    )
    provider.last_used_at = now
