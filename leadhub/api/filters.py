"""Filter building blocks shared by the partner API's FilterSets."""
from datetime import datetime, UTC
from decimal import Decimal

import django_filters
from django_filters.rest_framework import DjangoFilterBackend
from rest_framework.filters import OrderingFilter

from leadhub.api.exceptions import MalformedRequest

from leadhub.search import PERSON_SEARCH_FIELDS, person_search_q


class PartnerFilterSet(django_filters.FilterSet):
    """Common filters: `search`, `updated_since`, and created_at/updated_at ranges in two spellings
    (`created_at__gte=...&created_at__lte=...` or `created_at_after=...&created_at_before=...`).
    `person_search_fields` names the columns holding the person `?search=` looks for."""

    person_search_fields = PERSON_SEARCH_FIELDS

    search = django_filters.CharFilter(method="filter_search", label="Phone (any format), email or name")
    updated_since = django_filters.IsoDateTimeFilter(field_name="updated_at", lookup_expr="gte")
    created_at = django_filters.IsoDateTimeFromToRangeFilter()
    updated_at = django_filters.IsoDateTimeFromToRangeFilter()

    def filter_search(self, queryset, name, value):
        return queryset.filter(person_search_q(value, **self.person_search_fields))


MAX_DB_INTEGER = 2**63 - 1  # the widest integer column either database stores


def _database_safe(value):
    """`value` as the database can take it: datetimes in UTC, integers within 64 bits."""
    if isinstance(value, slice):
        return slice(_database_safe(value.start), _database_safe(value.stop))
    if isinstance(value, datetime) and value.tzinfo is not None:
        return value.astimezone(UTC)
    if isinstance(value, (int, Decimal)) and not isinstance(value, bool) and abs(value) > MAX_DB_INTEGER:
        raise OverflowError
    return value


class DatabaseSafeFilterBackend(DjangoFilterBackend):
    """DjangoFilterBackend whose filter values cannot crash the database.

    ISO 8601 allows offsets up to ±23:59 but PostgreSQL only ±15:59, so `?created_at__gte=...+17:00`
    would be a 500 there; in UTC it is just an instant. Numbers past 64 bits (`?contact=1e19`)
    overflow SQLite's driver. Either, and a date shifted off the calendar (year 1 or 9999 moved
    past the edge), is a 400 naming the filter.
    """

    def filter_queryset(self, request, queryset, view):
        filterset = self.get_filterset(request, queryset, view)
        if filterset is None:
            return queryset
        if not filterset.is_valid():
            raise MalformedRequest({name: list(messages) for name, messages in filterset.errors.items()})
        cleaned = filterset.form.cleaned_data
        for name, value in cleaned.items():
            try:
                cleaned[name] = _database_safe(value)
            except OverflowError:
                raise MalformedRequest({name: ["Value is out of range."]}) from None
        return filterset.qs


class PartnerOrderingFilter(OrderingFilter):
    """`?ordering=<field>` or `-<field>` on list endpoints that declare `ordering_fields`; anything
    else is a 400 naming `ordering` (DRF's own filter ignores it silently). The id breaks ties,
    so cursor pages stay stable when many rows share a value."""

    def get_ordering(self, request, queryset, view):
        fields = getattr(view, "ordering_fields", None)
        value = request.query_params.get(self.ordering_param)
        if not fields or value is None:
            return None
        allowed = ordering_choices(fields)
        if value not in allowed:
            raise MalformedRequest({self.ordering_param: [f"'{value}' is not one of: {', '.join(allowed)}."]})
        tiebreak = "-id" if value.startswith("-") else "id"
        return (value,) if value.lstrip("-") == "id" else (value, tiebreak)

    def get_schema_operation_parameters(self, view):
        fields = getattr(view, "ordering_fields", None)
        if not fields:
            return []
        return [{
            "name": self.ordering_param,
            "required": False,
            "in": "query",
            "description": "Sort order: a field, `-` first for descending. Default: newest first.",
            "schema": {"type": "string", "enum": ordering_choices(fields)},
        }]


def ordering_choices(fields):
    return [choice for field in fields for choice in (field, f"-{field}")]
