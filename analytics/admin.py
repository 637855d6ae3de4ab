"""Analytics admin: rollups are computed by the rollup task, so they are read-only; a cache
entry may be deleted by hand to force a recompute."""
from django.contrib import admin

from analytics.models import ConversionAnalyticsCache, LeadAnalytics
from leadhub.admin import ReadOnlyAdmin


@admin.register(LeadAnalytics)
class LeadAnalyticsAdmin(ReadOnlyAdmin):
    list_display = ["webhook_id", "date", "total_leads", "converted_leads", "conversion_rate", "total_revenue"]
    list_filter = ["date"]
    search_fields = ["=webhook_id"]
    date_hierarchy = "date"


@admin.register(ConversionAnalyticsCache)
class ConversionAnalyticsCacheAdmin(ReadOnlyAdmin):
    list_display = ["cache_key", "expires_at", "created_at"]
    list_filter = ["expires_at"]
    search_fields = ["^cache_key"]

    def has_delete_permission(self, request, obj=None):
        return request.user.has_perm("analytics.delete_conversionanalyticscache")
