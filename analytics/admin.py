"""Analytics admin: rollups are computed by the rollup task, so they are read-only; a cache
entry may be deleted by hand to force a recompute."""
from django.contrib import admin

from analytics.models import ConversionAnalyticsCache, LeadAnalytics
from leadhub.admin import ReadOnlyAdmin, money_display, percent_display


@admin.register(LeadAnalytics)
class LeadAnalyticsAdmin(ReadOnlyAdmin):
    list_display = ["webhook_id", "date", "total_leads", "converted_leads", "rate", "revenue"]
    list_filter = ["date"]
    search_fields = ["=webhook_id"]
    date_hierarchy = "date"

    @admin.display(description="Conversion rate", ordering="conversion_rate")
    def rate(self, obj):
        return percent_display(obj.conversion_rate)

    @admin.display(description="Revenue", ordering="total_revenue")
    def revenue(self, obj):
        return money_display(obj.total_revenue)


@admin.register(ConversionAnalyticsCache)
class ConversionAnalyticsCacheAdmin(ReadOnlyAdmin):
    list_display = ["cache_key", "expires_at", "created_at"]
    list_filter = ["expires_at"]
    search_fields = ["^cache_key"]

    def has_delete_permission(self, request, obj=None):
        return request.user.has_perm("analytics.delete_conversionanalyticscache")
