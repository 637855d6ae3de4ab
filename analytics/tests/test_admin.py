"""Analytics admin: rollups are read-only; a cache entry may be deleted to force a recompute."""
import datetime

import pytest
from django.apps import apps
from django.contrib import admin
from django.utils import timezone

from analytics.models import ConversionAnalyticsCache, LeadAnalytics
from leadhub.testing import admin_url, assert_admin_pages_render, assert_admin_read_only


@pytest.mark.django_db
def test_rollups_render_and_are_read_only(admin_client):
    rollup = LeadAnalytics.objects.create(webhook_id="wh-1", date=datetime.date(2025, 1, 2), total_leads=3)

    assert_admin_pages_render(admin_client, rollup)
    assert_admin_read_only(admin_client, rollup)


@pytest.mark.django_db
def test_cache_entries_render_and_can_only_be_deleted(admin_client):
    entry = ConversionAnalyticsCache.objects.create(
        cache_key="kpi:ws-1", cache_data={"n": 1}, expires_at=timezone.now() + datetime.timedelta(hours=1)
    )

    assert_admin_pages_render(admin_client, entry)
    assert admin_client.get(admin_url(entry, "add")).status_code == 403
    assert admin_client.post(admin_url(entry, "change", entry.pk), {}).status_code == 403
    assert admin_client.post(admin_url(entry, "delete", entry.pk), {"post": "yes"}).status_code == 302
    assert not ConversionAnalyticsCache.objects.exists()


def test_every_analytics_model_is_in_the_admin():
    assert set(apps.get_app_config("analytics").get_models()) <= set(admin.site._registry)
