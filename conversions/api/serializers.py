"""Partner API shapes for conversions. Amounts are decimal strings, never floats."""
from rest_framework import serializers

from conversions.models import Conversion, ConversionType
from leadhub.models import MONEY


class ConversionSerializer(serializers.ModelSerializer):
    """`conversion_value` / `currency` are the USD amount every total counts; `original_value` /
    `original_currency` what was reported, valued at `exchange_rate` (USD per unit, that day)."""

    class Meta:
        model = Conversion
        fields = [
            "id", "contact_id", "lead_id", "workspace_id", "conversion_type", "conversion_value", "currency",
            "original_value", "original_currency", "exchange_rate", "converted_at", "converted_by",
            "custom_data", "voided_at", "voided_by", "void_reason", "created_at", "updated_at",
        ]
        read_only_fields = fields


class StrictSerializer(serializers.Serializer):
    """Refuses fields it does not know, by name, instead of silently ignoring them."""

    def validate(self, attrs):
        unknown = sorted(set(self.initial_data) - set(self.fields))
        if unknown:
            raise serializers.ValidationError({field: ["Unknown or read-only field."] for field in unknown})
        return attrs


class ConversionCreateSerializer(StrictSerializer):
    contact_id = serializers.IntegerField(required=False, min_value=1, help_text="Required unless lead_id is given.")
    lead_id = serializers.IntegerField(
        required=False, min_value=1, help_text="Optional; must be assigned to you (and belong to contact_id)."
    )
    conversion_type = serializers.ChoiceField(choices=ConversionType.choices)
    conversion_value = serializers.DecimalField(**MONEY, min_value=0, help_text="In `currency`; at most two decimals.")
    currency = serializers.RegexField(
        r"^[A-Z]{3}$", required=False, default="USD", help_text="ISO 4217, e.g. EUR. Default USD.",
        error_messages={"invalid": "An ISO 4217 code in capitals, e.g. USD or EUR."},
    )
    converted_at = serializers.DateTimeField(required=False, help_text="Default: now.")
    converted_by = serializers.CharField(required=False, allow_blank=True, max_length=255)
    custom_data = serializers.DictField(required=False, help_text="A JSON object.")

    def validate(self, attrs):
        attrs = super().validate(attrs)
        if "contact_id" not in attrs and "lead_id" not in attrs:
            raise serializers.ValidationError({"contact_id": ["Give contact_id or lead_id."]})
        return attrs


class ConversionPatchSerializer(StrictSerializer):
    conversion_value = serializers.DecimalField(
        **MONEY,
        min_value=0,
        required=False,
        help_text="In the currency the conversion was reported in (`original_currency`).",
    )
    conversion_type = serializers.ChoiceField(choices=ConversionType.choices, required=False)
    custom_data = serializers.DictField(required=False, help_text="Replaces the whole object.")

    def validate(self, attrs):
        attrs = super().validate(attrs)
        if not attrs:
            raise serializers.ValidationError({"non_field_errors": ["Nothing to change."]})
        return attrs


class ConversionVoidSerializer(StrictSerializer):
    reason = serializers.CharField(max_length=2000)
