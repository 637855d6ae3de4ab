"""Lead API serializers."""
from rest_framework import serializers

from leadhub.choices import LeadType


def _text(help_text="", **kwargs):
    return serializers.CharField(required=False, help_text=help_text, **kwargs)


class LeadWebhookRequestSerializer(serializers.Serializer):
    """Documents the webhook body for OpenAPI only: validation is leads.ingest.clean_lead's job.

    Keys match in any case style (`first_name`, `firstName`, `FirstName`); one level of nesting is
    flattened (`consent: {value, description}`, `utm: {source, medium, campaign}`); unknown keys are
    kept in the lead's raw payload.
    """

    id = serializers.IntegerField(
        required=False, min_value=1,
        help_text="Your own lead id (alias `lead_id`). Re-posting it with the same payload is a no-op (200); "
                  "with a different payload, 409.",
    )
    lead_type = serializers.ChoiceField(
        LeadType.choices, required=False, help_text="Defaults to the webhook's type; any other is refused. "
                                                    "Alias `vertical`.",
    )
    first_name = serializers.CharField(help_text="Aliases `firstName`, `first`, `fname`.")
    last_name = serializers.CharField(help_text="Aliases `lastName`, `last`, `lname`, `surname`.")
    email = serializers.EmailField(help_text="Alias `email_address`.")
    phone = serializers.CharField(
        help_text="US/NANP number in any common form ((415) 555-0132, 415.555.0132, +1 415 555 0132); stored as "
                  "+1XXXXXXXXXX. Aliases `phone_number`, `phone1`, `telephone`, `mobile`.",
    )
    address = _text("Aliases `address1`, `address_line1`, `street`, `street_address`.")
    address2 = _text("Alias `address_line2`.")
    city = _text()
    state = _text("2-letter state or territory code (a full state name is accepted too).")
    zip_code = _text("5 digits or ZIP+4. Aliases `zip`, `zipCode`, `postal_code`.")
    source = _text()
    subsource = _text()
    campaign_id = _text()
    utm_source = _text("Also `utm: {source}`.")
    utm_medium = _text("Also `utm: {medium}`.")
    utm_campaign = _text("Also `utm: {campaign}`.")
    landing_page_url = _text("Alias `landing_page`.")
    productid = _text()
    property_type = _text()
    property_value = serializers.DecimalField(14, 2, required=False, min_value=0)
    property_size = serializers.IntegerField(required=False, min_value=0, help_text="Square feet. Alias `sqft`.")
    monthly_electric_bill = serializers.DecimalField(
        14, 2, required=False, min_value=0, help_text="Solar. Aliases `electric_bill`, `monthly_bill`."
    )
    roof_age = serializers.IntegerField(required=False, min_value=0, max_value=100, help_text="Solar: 0-100.")
    roof_condition = _text("Solar: excellent, good, fair, poor, needs_replacement, unknown.")
    shade_coverage = _text("Solar: none, light, partial, heavy, full, unknown.")
    system_type = _text()
    system_age = serializers.IntegerField(required=False, min_value=0, max_value=60, help_text="HVAC: 0-60.")
    service_type = _text("HVAC: installation, replacement, repair, maintenance, inspection.")
    urgency = _text("HVAC: emergency, immediate, within_week, within_month, flexible, researching.")
    policy_type = _text("Insurance: homeowners, renters, condo, landlord, flood, earthquake, umbrella, auto, life.")
    coverage_amount = serializers.DecimalField(14, 2, required=False, min_value=0, help_text="Alias `coverage`.")
    current_premium = serializers.DecimalField(14, 2, required=False, min_value=0, help_text="Alias `premium`.")
    claims_history = _text()
    consent_description = _text("The consent text shown. Also `consent: {description}`.")
    consent_value = serializers.BooleanField(
        required=False,
        help_text="true/false, yes/no, 1/0, on/off. Also `consent: {value}`. Leads without consent_value and "
                  "tcpa_compliance both true are accepted but held: never auto-assigned or forwarded.",
    )
    tcpa_compliance = serializers.BooleanField(required=False, help_text="Aliases `tcpa`, `tcpa_compliant`.")


class LeadDispositionSerializer(serializers.Serializer):
    ignored_fields = serializers.ListField(
        child=serializers.CharField(),
        help_text="Fields of another vertical (e.g. monthly_electric_bill on an HVAC webhook): not stored in "
                  "the lead's column, kept in the contact's custom_metadata.",
    )


class LeadWebhookSuccessSerializer(serializers.Serializer):
    outcome = serializers.ChoiceField(["success"])
    lead_id = serializers.IntegerField()
    contact_id = serializers.IntegerField()
    contact_status = serializers.ChoiceField(["new", "existing"])
    disposition = LeadDispositionSerializer()


class WebhookFailureSerializer(serializers.Serializer):
    outcome = serializers.ChoiceField(["failure"])
    reason = serializers.CharField(help_text="What is wrong, for people.")
    code = serializers.CharField(help_text="What is wrong, for machines.")
    errors = serializers.DictField(
        child=serializers.ListField(child=serializers.CharField()), required=False,
        help_text="422 only: messages per field.",
    )
    request_id = serializers.CharField()


# ---- Partner API (issue 4): the workspace's view of its leads -----------------------------------
from rest_framework import serializers as _drf  # noqa: E402

from leads.models import ActivityType as _ActivityType  # noqa: E402
from leads.models import Lead as _Lead  # noqa: E402
from leads.models import LeadActivity as _LeadActivity  # noqa: E402
from leads.models import WorkspaceStatus as _WorkspaceStatus  # noqa: E402


class PartnerLeadSerializer(_drf.ModelSerializer):
    """What a workspace sees of its lead. Provider plumbing (raw payload, webhook) and
    cross-workspace fields (conversion links, who last changed the status) stay internal."""

    class Meta:
        model = _Lead
        fields = [
            "id", "contact_id", "lead_type", "status", "status_changed_at", "workspace_status",
            "workspace_assigned_at", "first_name", "last_name", "email", "phone", "address", "address2",
            "city", "state", "zip_code", "source", "campaign_id", "utm_source", "utm_medium", "utm_campaign",
            "subsource", "landing_page_url", "productid", "monthly_electric_bill", "property_type",
            "roof_condition", "roof_age", "shade_coverage", "system_type", "system_age", "service_type",
            "urgency", "property_size", "policy_type", "coverage_amount", "current_premium", "property_value",
            "claims_history", "consent_description", "consent_value", "tcpa_compliance", "held_for_consent",
            "ip_address", "user_agent", "notes", "priority", "assigned_to", "follow_up_date",
            "contact_attempts", "conversion_score", "revenue_potential", "created_at", "updated_at",
            "processed_at",
        ]
        read_only_fields = fields


class PartnerLeadPatchSerializer(_drf.Serializer):
    """`PATCH /api/v1/leads/{id}/`. `changed_by`, `changed_by_name` and `reason` only describe a
    status change (who and why, for the status history); unknown fields are refused by name."""

    status = _drf.CharField(required=False, max_length=50)
    workspace_status = _drf.ChoiceField(
        required=False, choices=[_WorkspaceStatus.ACCEPTED, _WorkspaceStatus.REJECTED]
    )
    notes = _drf.CharField(required=False, allow_blank=True)
    priority = _drf.IntegerField(required=False, min_value=1, max_value=5)
    assigned_to = _drf.CharField(required=False, allow_blank=True, max_length=255)
    follow_up_date = _drf.DateTimeField(required=False, allow_null=True)
    contact_attempts = _drf.IntegerField(required=False, min_value=0)
    changed_by = _drf.CharField(required=False, max_length=255)
    changed_by_name = _drf.CharField(required=False, allow_blank=True, max_length=255)
    reason = _drf.CharField(required=False, allow_blank=True)

    def validate(self, attrs):
        unknown = sorted(set(self.initial_data) - set(self.fields))
        if unknown:
            raise _drf.ValidationError({field: ["This field cannot be changed through the API."] for field in unknown})
        if not attrs:
            raise _drf.ValidationError({"non_field_errors": ["Nothing to change."]})
        return attrs


class PartnerActivitySerializer(_drf.ModelSerializer):
    activity_type = _drf.ChoiceField(
        choices=[_ActivityType.CALL, _ActivityType.EMAIL, _ActivityType.MEETING, _ActivityType.NOTE]
    )
    title = _drf.CharField(required=False, allow_blank=True, max_length=255)
    activity_date = _drf.DateTimeField(required=False)

    class Meta:
        model = _LeadActivity
        fields = [
            "id", "activity_type", "title", "description", "activity_date", "created_by", "created_by_name",
            "created_at",
        ]
        read_only_fields = ["id", "created_by", "created_at"]


class TimelineItemSerializer(_drf.Serializer):
    kind = _drf.ChoiceField(choices=["event", "status_change", "activity", "appointment", "conversion"])
    at = _drf.DateTimeField()
    id = _drf.CharField()
    summary = _drf.CharField()
    data = _drf.DictField()


class TimelineSerializer(_drf.Serializer):
    lead_id = _drf.IntegerField()
    items = TimelineItemSerializer(many=True)


class ReferralResultSerializer(_drf.Serializer):
    outcome = _drf.CharField()
    lead_id = _drf.IntegerField()
    contact_id = _drf.IntegerField()
    contact_status = _drf.ChoiceField(choices=["new", "existing"])
