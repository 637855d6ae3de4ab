"""Partner API lead filters."""
import django_filters

from leadhub.api.filters import PartnerFilterSet
from leadhub.choices import LeadType
from leads.models import Lead, WorkspaceStatus


class LeadFilterSet(PartnerFilterSet):
    status = django_filters.CharFilter()
    lead_type = django_filters.ChoiceFilter(choices=LeadType.choices)
    workspace_status = django_filters.ChoiceFilter(choices=WorkspaceStatus.choices)
    state = django_filters.CharFilter(lookup_expr="iexact")
    zip_code = django_filters.CharFilter()
    # Only narrows further for staff: a workspace key is already limited to its own leads.
    workspace = django_filters.CharFilter(field_name="workspace_id")

    class Meta:
        model = Lead
        fields = {"created_at": ["gte", "lte"], "updated_at": ["gte", "lte"]}
