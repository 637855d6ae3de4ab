from rest_framework import serializers

from leadhub.api.serializers import StrictSerializer
from workspaces.models import DeliveryAttempt, EventType, OutboundEvent, Workspace


class WorkspaceTotalsSerializer(serializers.Serializer):
    leads_total = serializers.IntegerField()
    leads_assigned = serializers.IntegerField()
    leads_accepted = serializers.IntegerField()
    leads_rejected = serializers.IntegerField()
    leads_converted = serializers.IntegerField()


class WorkspaceProfileSerializer(serializers.ModelSerializer):
    scopes = serializers.ListField(source="permissions", child=serializers.CharField(), read_only=True)
    totals = WorkspaceTotalsSerializer(read_only=True)

    class Meta:
        model = Workspace
        fields = [
            "id",
            "name",
            "is_active",
            "scopes",
            "outbound_webhook_url",
            "webhook_active",
            "webhook_events",
            "webhook_disabled_reason",
            "last_activity_at",
            "total_conversions",
            "total_revenue",
            "created_at",
            "updated_at",
            "totals",
        ]
        read_only_fields = fields


class WorkspaceWebhookSerializer(StrictSerializer):
    outbound_webhook_url = serializers.URLField(max_length=500, required=False, allow_blank=True)
    webhook_active = serializers.BooleanField(required=False)
    webhook_events = serializers.ListField(
        child=serializers.ChoiceField(choices=EventType.choices),
        required=False,
        help_text="Event types to receive; an empty list means all of them.",
    )

    def validate(self, attrs):
        if not attrs:
            raise serializers.ValidationError(
                {"outbound_webhook_url": ["Give outbound_webhook_url and/or webhook_active."]}
            )
        return attrs


class DeliveryAttemptSerializer(serializers.ModelSerializer):
    class Meta:
        model = DeliveryAttempt
        fields = ["created_at", "outcome", "status_code", "latency_ms", "error", "response_body"]
        read_only_fields = fields


class OutboundEventSerializer(serializers.ModelSerializer):
    """An event as the partner receives it (`envelope`) plus its delivery state."""

    type = serializers.CharField(source="event_type", read_only=True)

    class Meta:
        model = OutboundEvent
        fields = [
            "id", "type", "created_at", "data", "status", "attempts", "next_attempt_at", "last_attempt_at",
            "delivered_at", "last_status_code", "last_response", "target_url", "not_before", "wait_reason",
        ]
        read_only_fields = fields


class OutboundEventDetailSerializer(OutboundEventSerializer):
    attempt_log = DeliveryAttemptSerializer(many=True, read_only=True)

    class Meta(OutboundEventSerializer.Meta):
        fields = OutboundEventSerializer.Meta.fields + ["attempt_log"]
        read_only_fields = fields


class RedeliverSerializer(StrictSerializer):
    event_id = serializers.UUIDField(
        required=False, help_text="One event to send again; without it, every failed or skipped event is."
    )


class RedeliverResultSerializer(serializers.Serializer):
    queued = serializers.IntegerField()


class SigningSecretSerializer(serializers.Serializer):
    signing_secret = serializers.CharField()
    previous_secret_valid_until = serializers.DateTimeField(
        allow_null=True,
        help_text="Until then deliveries carry two `v1=` signatures, with the new and the previous secret.",
    )
