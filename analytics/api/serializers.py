"""Query parameters of the KPI endpoints: an inclusive UTC date range and per-KPI grouping."""
from datetime import timedelta

from django.utils import timezone
from rest_framework import serializers

from analytics.selectors import GEO_COLUMNS

DEFAULT_RANGE_DAYS = 30


class KpiQuerySerializer(serializers.Serializer):
    """`from` / `to` (YYYY-MM-DD, inclusive, UTC); default: the last 30 days. Staff may narrow to
    one workspace with `workspace=<id>`."""

    to = serializers.DateField(required=False)
    workspace = serializers.CharField(required=False, max_length=64)

    def get_fields(self):
        fields = super().get_fields()
        fields["from"] = serializers.DateField(required=False)  # a Python keyword, so added here
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
