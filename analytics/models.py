"""Read-side tables: daily rollups per webhook and a TTL cache of expensive analytics."""
from decimal import Decimal

from django.db import models

from leadhub.models import MONEY, CreatedAtModel, TimeStampedModel


class LeadAnalytics(TimeStampedModel):
    # Plain text, not a foreign key: analytics outlive a deleted webhook config.
    webhook_id = models.CharField(max_length=100, db_index=True)
    date = models.DateField(db_index=True)
    total_leads = models.PositiveIntegerField(default=0)
    converted_leads = models.PositiveIntegerField(default=0)
    conversion_rate = models.FloatField(default=0, help_text="Percentage 0–100")
    total_revenue = models.DecimalField(**MONEY, default=Decimal("0"))
    avg_time_to_conversion = models.FloatField(default=0, help_text="Seconds")

    class Meta:
        db_table = "lead_analytics"
        ordering = ["-date", "webhook_id"]
        verbose_name_plural = "lead analytics"
        constraints = [models.UniqueConstraint(fields=["webhook_id", "date"], name="lead_analytics_webhook_date_uniq")]

    def __str__(self):
        return f"{self.webhook_id} {self.date}"


class ConversionAnalyticsCache(CreatedAtModel):
    cache_key = models.CharField(max_length=255, unique=True)
    cache_data = models.JSONField(default=dict, blank=True)
    expires_at = models.DateTimeField(db_index=True)

    class Meta:
        db_table = "conversion_analytics_cache"
        ordering = ["-created_at"]
        verbose_name_plural = "conversion analytics cache"

    def __str__(self):
        return self.cache_key
