"""Query parameters of the KPI endpoints: an inclusive UTC date range and per-KPI grouping."""
from datetime import date, timedelta

from django.utils import timezone
from rest_framework import serializers

from analytics.margin import MARGIN_DIMENSIONS
from analytics.selectors import GEO_COLUMNS

DEFAULT_RANGE_DAYS = 30
# The days a KPI can be asked about: nothing was stored before 1970, and the arithmetic on a range
# (the day after `to`, 29 days before it) must stay inside Python's years 1 to 9999.
FIRST_DAY, LAST_DAY = date(1970, 1, 1), date(2099, 12, 31)


class UtcDayField(serializers.DateField):
    """A YYYY-MM-DD day from FIRST_DAY to LAST_DAY."""

    def to_internal_value(self, value):
        day = super().to_internal_value(value)
        if not FIRST_DAY <= day <= LAST_DAY:
            raise serializers.ValidationError(f"Must be a day from {FIRST_DAY} to {LAST_DAY}.", code="out_of_range")
        return day


class KpiQuerySerializer(serializers.Serializer):
    """`from` / `to` (YYYY-MM-DD, inclusive, UTC); default: the last 30 days. Staff may narrow to
    one workspace with `workspace=<id>`."""

    to = UtcDayField(required=False)
    workspace = serializers.CharField(required=False, max_length=64)

    def get_fields(self):
        fields = super().get_fields()
        fields["from"] = UtcDayField(required=False)  # a Python keyword, so added here
        return fields

    def validate(self, attrs):
        date_to = attrs.get("to") or timezone.now().date()
        date_from = attrs.get("from") or date_to - timedelta(days=DEFAULT_RANGE_DAYS - 1)
        if date_from > date_to:
            raise serializers.ValidationError({"from": [f"Must not be after 'to' ({date_to})."]})
        return {**attrs, "from": date_from, "to": date_to}


class GeographyQuerySerializer(KpiQuerySerializer):
    group = serializers.ChoiceField(choices=sorted(GEO_COLUMNS), default="state")
    limit = serializers.IntegerField(min_value=1, max_value=1000, default=100)


class MarginQuerySerializer(KpiQuerySerializer):
    by = serializers.ChoiceField(choices=sorted(MARGIN_DIMENSIONS), default="source")
