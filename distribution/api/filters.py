"""Partner API sale filters."""
import django_filters

from distribution.models import Sale


class SaleFilterSet(django_filters.FilterSet):
    """`sold_at_after` / `sold_at_before` (or `sold_at__gte` / `__lte`) bound the time of sale."""

    sold_at = django_filters.IsoDateTimeFromToRangeFilter()

    class Meta:
        model = Sale
        fields = {"sold_at": ["gte", "lte"]}
