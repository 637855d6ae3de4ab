from rest_framework import serializers

from distribution.models import Offer, OfferFilter


class OfferFilterSerializer(serializers.ModelSerializer):
    class Meta:
        model = OfferFilter
        fields = ["column", "op", "value"]


class OfferSerializer(serializers.ModelSerializer):
    filters = OfferFilterSerializer(many=True, read_only=True)
    time_zone = serializers.CharField(source="workspace.time_zone", read_only=True)
    is_paused = serializers.SerializerMethodField()

    class Meta:
        model = Offer
        fields = [
            "id", "workspace_id", "name", "kind", "products", "zip_codes", "states", "radius_zip", "radius_miles",
            "filters", "schedule", "dates_off", "time_zone", "priority", "weight", "is_active", "is_paused",
            "paused_at", "created_at", "updated_at",
        ]
        read_only_fields = fields

    def get_is_paused(self, offer) -> bool:
        return offer.paused_at is not None
