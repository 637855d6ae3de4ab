"""Partner API lead filters."""
import django_filters
from django.core.exceptions import ValidationError

from leadhub.api.filters import PartnerFilterSet
from leadhub.choices import LeadType
from leads.models import Lead, LeadPipelineStage, WorkspaceStatus


def _known_stage(value):
    """Any stage a lead can be in (active or since retired): anything else matches nothing, so it is a 400."""
    if not LeadPipelineStage.objects.filter(name=value).exists():
        raise ValidationError(f"'{value}' is not a pipeline stage.", code="invalid_choice")


class LeadFilterSet(PartnerFilterSet):
    # Your own status and accept/reject (the caller's view, leads.selectors.lead_list).
    status = django_filters.CharFilter(field_name="seen_status", validators=[_known_stage], label="A pipeline stage name")
    lead_type = django_filters.ChoiceFilter(choices=LeadType.choices)
    workspace_status = django_filters.ChoiceFilter(field_name="seen_workspace_status", choices=WorkspaceStatus.choices)
    state = django_filters.CharFilter(lookup_expr="iexact")
    zip_code = django_filters.CharFilter()
    # Only narrows further for staff: a workspace key is already limited to its own leads.
    workspace = django_filters.CharFilter(field_name="workspace_id")

    class Meta:
        model = Lead
        fields = {"created_at": ["gte", "lte"], "updated_at": ["gte", "lte"]}
