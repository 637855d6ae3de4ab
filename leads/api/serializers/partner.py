"""Serializers of the partner lead API: what a workspace sees of its leads and may change."""
from rest_framework import serializers

from leadhub.api.serializers import StrictModelSerializer, StrictSerializer
from leads.models import ActivityType, Lead, LeadActivity, WorkspaceStatus


class PartnerLeadSerializer(serializers.ModelSerializer):
    """A lead that reached your workspace, with your own working fields (status, accept/reject,
    notes, priority, assignee, follow-up, attempts): another workspace holding the same lead
    never sees them, nor you theirs."""

    # Not exposed: provider plumbing (raw payload, webhook) and cross-workspace fields
    # (conversion links, who last changed the status). Working fields are the caller's view
    # (`seen_*`, leads.selectors.lead_list).
    status = serializers.CharField(source="seen_status", read_only=True)
    status_changed_at = serializers.DateTimeField(source="seen_status_changed_at", read_only=True, allow_null=True)
    workspace_status = serializers.ChoiceField(
        WorkspaceStatus.choices, source="seen_workspace_status", read_only=True, allow_blank=True
    )
    workspace_assigned_at = serializers.DateTimeField(
        source="seen_workspace_assigned_at", read_only=True, allow_null=True
    )
    notes = serializers.CharField(source="seen_notes", read_only=True)
    priority = serializers.IntegerField(source="seen_priority", read_only=True)
    assigned_to = serializers.CharField(source="seen_assigned_to", read_only=True)
    follow_up_date = serializers.DateTimeField(source="seen_follow_up_date", read_only=True, allow_null=True)
    contact_attempts = serializers.IntegerField(source="seen_contact_attempts", read_only=True)

    class Meta:
        model = Lead
        fields = [
            "id", "external_id", "contact_id", "lead_type", "status", "status_changed_at", "workspace_status",
            "workspace_assigned_at", "first_name", "last_name", "email", "phone", "phone_extension", "phone_flags",
            "address", "address2",
            "city", "state", "state_source", "state_conflicts_zip", "zip_code",
            "source", "campaign_id", "utm_source", "utm_medium", "utm_campaign",
            "subsource", "landing_page_url", "productid", "monthly_electric_bill", "property_type",
            "roof_condition", "roof_age", "shade_coverage", "system_type", "system_age", "service_type",
            "urgency", "property_size", "policy_type", "coverage_amount", "current_premium", "property_value",
            "claims_history", "consent_description", "consent_value", "tcpa_compliance", "held_for_consent",
            "ip_address", "user_agent", "trustedform_cert_url", "jornaya_leadid", "evidence_invalid",
            "notes", "priority", "assigned_to", "follow_up_date",
            "contact_attempts", "conversion_score", "revenue_potential", "created_at", "updated_at",
            "processed_at",
        ]
        read_only_fields = fields


class PartnerLeadPatchSerializer(StrictSerializer):
    """`PATCH /api/v1/leads/{id}/`. `changed_by_name` and `reason` only describe a status change
    (your own user's name and why, for the status history); unknown fields are refused by name.

    Who acted is always the calling workspace (or staff user), whatever the body says: `changed_by`
    is kept as the older name of `changed_by_name`, so a partner cannot record a change as anyone else.
    """

    status = serializers.CharField(required=False, max_length=50)
    workspace_status = serializers.ChoiceField(
        required=False, choices=[WorkspaceStatus.ACCEPTED, WorkspaceStatus.REJECTED]
    )
    notes = serializers.CharField(required=False, allow_blank=True)
    priority = serializers.IntegerField(required=False, min_value=1, max_value=5)
    assigned_to = serializers.CharField(required=False, allow_blank=True, max_length=255)
    follow_up_date = serializers.DateTimeField(required=False, allow_null=True)
    contact_attempts = serializers.IntegerField(required=False, min_value=0)
    changed_by = serializers.CharField(
        required=False, max_length=255, help_text="Your own user's name; the same as `changed_by_name`."
    )
    changed_by_name = serializers.CharField(
        required=False, allow_blank=True, max_length=255,
        help_text="Your own user's name, kept on the status history next to the workspace that acted.",
    )
    reason = serializers.CharField(required=False, allow_blank=True)

    def validate(self, attrs):
        if not attrs:
            raise serializers.ValidationError({"non_field_errors": ["Nothing to change."]})
        name = attrs.pop("changed_by", None)
        if name is not None and attrs.setdefault("changed_by_name", name) != name:
            raise serializers.ValidationError(
                {"changed_by": ["Same as changed_by_name (your own user's name): send one of them, or the same."]}
            )
        return attrs


class PartnerActivitySerializer(StrictModelSerializer):
    activity_type = serializers.ChoiceField(
        choices=[ActivityType.CALL, ActivityType.EMAIL, ActivityType.MEETING, ActivityType.NOTE]
    )
    title = serializers.CharField(required=False, allow_blank=True, max_length=255)
    activity_date = serializers.DateTimeField(required=False)
    metadata = serializers.JSONField(required=False, help_text="Your own details (a JSON object), kept as sent.")

    class Meta:
        model = LeadActivity
        fields = [
            "id", "activity_type", "title", "description", "activity_date", "created_by", "created_by_name",
            "metadata", "created_at",
        ]
        read_only_fields = ["id", "created_by", "created_at"]


    def validate_metadata(self, value):
        if not isinstance(value, dict):
            raise serializers.ValidationError("Must be a JSON object.")
        return value


class TimelineItemSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=["event", "status_change", "activity", "appointment", "conversion"])
    at = serializers.DateTimeField()
    id = serializers.CharField()
    summary = serializers.CharField()
    data = serializers.DictField()


class TimelineSerializer(serializers.Serializer):
    lead_id = serializers.IntegerField()
    items = TimelineItemSerializer(many=True)

