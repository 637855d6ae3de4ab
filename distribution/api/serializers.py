from rest_framework import serializers

from distribution.models import CapMeasure, CapWindow, Offer, OfferFilter, OfferPriceAdjustment, Sale


class OfferFilterSerializer(serializers.ModelSerializer):
    class Meta:
        model = OfferFilter
        fields = ["column", "op", "value"]


class OfferPriceAdjustmentSerializer(serializers.ModelSerializer):
    class Meta:
        model = OfferPriceAdjustment
        fields = ["column", "op", "value", "amount"]


CAP_SCOPES = [("offer", "This offer"), ("buyer", "All your offers")]


class OfferCapSerializer(serializers.Serializer):
    """A cap that limits the offer, with what its current window has used."""

    id = serializers.IntegerField()
    scope = serializers.ChoiceField(
        CAP_SCOPES,
        help_text="`offer`: this offer alone; `buyer`: shared by all your offers.",
    )
    window = serializers.ChoiceField(CapWindow.choices)
    measure = serializers.ChoiceField(CapMeasure.choices, help_text="`count`: leads; `spend`: money.")
    maximum = serializers.DecimalField(max_digits=20, decimal_places=2)
    window_start = serializers.DateTimeField(
        help_text="When the current window began: the hour, midnight, Monday or first of the month in your time zone."
    )
    used = serializers.DecimalField(max_digits=20, decimal_places=2, help_text="Used in the current window.")


class OfferSerializer(serializers.ModelSerializer):
    filters = OfferFilterSerializer(many=True, read_only=True)
    price_adjustments = OfferPriceAdjustmentSerializer(many=True, read_only=True)
    caps = OfferCapSerializer(many=True, read_only=True, source="caps_now")
    time_zone = serializers.CharField(source="workspace.time_zone", read_only=True)
    is_paused = serializers.SerializerMethodField()

    class Meta:
        model = Offer
        fields = [
            "id", "workspace_id", "name", "kind", "products", "zip_codes", "states", "radius_zip", "radius_miles",
            "filters", "schedule", "dates_off", "time_zone", "priority", "weight", "is_active", "is_paused",
            "paused_at", "price", "appointment_price", "exclusive_price", "price_adjustments", "caps",
            "duplicate_days", "created_at", "updated_at",
        ]
        read_only_fields = fields

    def get_is_paused(self, offer) -> bool:
        return offer.paused_at is not None


class SaleSerializer(serializers.ModelSerializer):
    """One sale: `subject` says what was bought (`lead`, or `appointment`, which names the lead it covers)."""

    subject = serializers.CharField(read_only=True)
    workspace_id = serializers.CharField(read_only=True)
    lead_id = serializers.IntegerField(read_only=True, allow_null=True)
    appointment_id = serializers.IntegerField(read_only=True, allow_null=True)
    offer_id = serializers.IntegerField(read_only=True, allow_null=True)

    class Meta:
        model = Sale
        fields = ["id", "subject", "workspace_id", "lead_id", "appointment_id", "offer_id", "price", "exclusive",
                  "sold_at"]
        read_only_fields = fields


class HandSaleSerializer(serializers.Serializer):
    """Staff assign a lead by hand, which sells it: `price` empty = the buyer's best eligible offer's."""

    workspace_id = serializers.CharField(max_length=64)
    price = serializers.DecimalField(max_digits=12, decimal_places=2, min_value=0, required=False, allow_null=True)
    reason = serializers.CharField(max_length=255, required=False, allow_blank=True, default="")
