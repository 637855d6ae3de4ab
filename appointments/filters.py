"""Partner API appointment filters."""
import django_filters

from appointments.models import Appointment, AppointmentStatus, AppointmentType
from appointments.selectors import CUSTOMER_SEARCH_FIELDS
from leadhub.api.filters import PartnerFilterSet


class AppointmentFilterSet(PartnerFilterSet):
    person_search_fields = CUSTOMER_SEARCH_FIELDS
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
