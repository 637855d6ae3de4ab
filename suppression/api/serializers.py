from rest_framework import serializers

from leadhub.api.serializers import StrictModelSerializer
from suppression.models import Channel, SuppressionEntry


class OptOutSerializer(StrictModelSerializer):
    """A workspace's opt-out report: one of `phone` or `email`, and why. A purged person's report
    reads with both blank (the number stays suppressed, its digest kept)."""

    phone = serializers.CharField(required=False, allow_blank=True, max_length=40,
                                  help_text="Any US form, e.g. (415) 555-0132; stored as +14155550132.")
    email = serializers.CharField(required=False, allow_blank=True, max_length=254)
    reason = serializers.CharField(required=False, allow_blank=True, max_length=255)
    created_at = serializers.DateTimeField(source="added_at", read_only=True)

    class Meta:
        model = SuppressionEntry
        fields = ["id", "phone", "email", "reason", "created_at"]

    def to_representation(self, instance):
        return {"id": instance.pk,
                "phone": instance.value if instance.channel == Channel.PHONE else "",
                "email": instance.value if instance.channel == Channel.EMAIL else "",
                "reason": instance.reason, "created_at": serializers.DateTimeField().to_representation(instance.added_at)}
