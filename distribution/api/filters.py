"""Partner API sale filters."""
import django_filters

from distribution.models import Sale


class SaleFilterSet(django_filters.FilterSet):
    """`sold_at_after` / `sold_at_before` (or `sold_at__gte` / `__lte`) bound the time of sale."""

    sold_at = django_filters.IsoDateTimeFromToRangeFilter()
    # Only narrows further for staff: a workspace key already sees only its own sales.
    workspace = django_filters.CharFilter(field_name="workspace_id")

    class Meta:
        model = Sale
        fields = {"sold_at": ["gte", "lte"]}
