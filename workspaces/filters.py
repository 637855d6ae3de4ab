"""Partner API filters for the outbox (`GET /api/v1/workspace/events/`)."""
import django_filters

from workspaces.models import DeliveryStatus, EventType, OutboundEvent


class OutboundEventFilterSet(django_filters.FilterSet):
    status = django_filters.MultipleChoiceFilter(choices=DeliveryStatus.choices)
    event_type = django_filters.MultipleChoiceFilter(choices=EventType.choices)
    created_at = django_filters.IsoDateTimeFromToRangeFilter()

    class Meta:
        model = OutboundEvent
        fields = ["status", "event_type", "created_at"]
