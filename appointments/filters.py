"""Partner API appointment filters."""
import django_filters
from django.db.models import Q

from appointments.models import Appointment, AppointmentStatus, AppointmentType
from leadhub.api.filters import PartnerFilterSet
from leadhub.phones import normalize_phone


class AppointmentFilterSet(PartnerFilterSet):
    status = django_filters.MultipleChoiceFilter(choices=AppointmentStatus.choices)
    appointment_type = django_filters.ChoiceFilter(choices=AppointmentType.choices)
    scheduled_at = django_filters.IsoDateTimeFromToRangeFilter()
    assigned_to = django_filters.CharFilter()
    lead = django_filters.NumberFilter(field_name="lead_links__lead_id", distinct=False)
    contact = django_filters.NumberFilter(field_name="contact_id")
    customer_zip = django_filters.CharFilter()
    service_type = django_filters.CharFilter(lookup_expr="iexact")
    # Only narrows further for staff: a workspace key already sees only its own appointments.
    workspace = django_filters.CharFilter(field_name="matched_workspace_id")

    class Meta:
        model = Appointment
        fields = {"created_at": ["gte", "lte"], "updated_at": ["gte", "lte"], "scheduled_at": ["gte", "lte"]}

    def filter_search(self, queryset, name, value):
        """The customer's phone (any format), email, or every word of the name."""
        value = (value or "").strip()
        if not value:
            return queryset
        condition = Q(customer_email__iexact=value)
        try:
            condition |= Q(customer_phone=normalize_phone(value))
        except ValueError:
            pass
        words = Q()
        for word in value.split():
            words &= Q(customer_name__icontains=word)
        return queryset.filter(condition | words)
