from rest_framework import serializers

from workspaces.models import Workspace


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
            "last_activity_at",
            "total_conversions",
            "total_revenue",
            "created_at",
            "updated_at",
            "totals",
        ]
        read_only_fields = fields


class WorkspaceWebhookSerializer(serializers.Serializer):
    outbound_webhook_url = serializers.URLField(max_length=500, required=False, allow_blank=True)
    webhook_active = serializers.BooleanField(required=False)

    def validate(self, attrs):
        if not attrs:
            raise serializers.ValidationError(
                {"outbound_webhook_url": ["Give outbound_webhook_url and/or webhook_active."]}
            )
        return attrs
