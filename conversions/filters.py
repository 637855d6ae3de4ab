"""Partner API conversion filters: type, date range, lead, contact, void state."""
import django_filters

from conversions.models import Conversion, ConversionType


class ConversionFilterSet(django_filters.FilterSet):
    """`converted_at_after` / `converted_at_before` (or `converted_at__gte` / `__lte`) bound the
    conversion date; `created_at` and `updated_at` take the same two spellings."""

    conversion_type = django_filters.ChoiceFilter(choices=ConversionType.choices)
    converted_at = django_filters.IsoDateTimeFromToRangeFilter()
    created_at = django_filters.IsoDateTimeFromToRangeFilter()
    updated_at = django_filters.IsoDateTimeFromToRangeFilter()
    lead_id = django_filters.NumberFilter()
    contact_id = django_filters.NumberFilter()
    currency = django_filters.CharFilter(field_name="original_currency", lookup_expr="iexact", label="Reported currency")
    voided = django_filters.BooleanFilter(field_name="voided_at", lookup_expr="isnull", exclude=True)
    # Only narrows further for staff: a workspace key already sees only its own conversions.
    workspace = django_filters.CharFilter(field_name="workspace_id")

    class Meta:
        model = Conversion
        fields = {"converted_at": ["gte", "lte"], "created_at": ["gte", "lte"], "updated_at": ["gte", "lte"]}
