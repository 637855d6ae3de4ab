"""Filter building blocks shared by the partner API's FilterSets."""
import django_filters
from django.db.models import Q

from leadhub.phones import normalize_phone


def person_search_q(value: str) -> Q:
    """`?search=`: a phone in any common form (normalised before matching), an email, or a name.

    Every whitespace-separated word must match a first or last name, so "ada lovelace" works.
    """
    value = (value or "").strip()
    if not value:
        return Q()
    condition = Q(email__icontains=value)
    try:
        condition |= Q(phone=normalize_phone(value))
    except ValueError:
        pass
    words = value.split()
    name_q = Q()
    for word in words:
        name_q &= Q(first_name__icontains=word) | Q(last_name__icontains=word)
    return condition | name_q


class PartnerFilterSet(django_filters.FilterSet):
    """Common filters: `search`, `updated_since`, and created_at/updated_at ranges in two spellings
    (`created_at__gte=...&created_at__lte=...` or `created_at_after=...&created_at_before=...`)."""

    search = django_filters.CharFilter(method="filter_search", label="Phone (any format), email or name")
    updated_since = django_filters.IsoDateTimeFilter(field_name="updated_at", lookup_expr="gte")
    created_at = django_filters.IsoDateTimeFromToRangeFilter()
    updated_at = django_filters.IsoDateTimeFromToRangeFilter()

    def filter_search(self, queryset, name, value):
        return queryset.filter(person_search_q(value))
