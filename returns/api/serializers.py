from rest_framework import serializers

from returns.models import Return, ReturnState


class ReturnRequestSerializer(serializers.Serializer):
    """`reason`: a return reason code (ops keep the list: `non_working_phone`, `wrong_number`, `duplicate`,
    `not_interested`, `out_of_area`, `fraud`, `other` unless changed); `note`: what the buyer found."""

    reason = serializers.CharField(max_length=50)
    note = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="")


class ReturnSerializer(serializers.ModelSerializer):
    """One return: its state (`requested`: awaiting ops, `approved`: credited, `rejected`) and why."""

    lead_id = serializers.IntegerField(read_only=True)
    sale_id = serializers.IntegerField(read_only=True)
    reason = serializers.CharField(source="reason.code", read_only=True)
    state = serializers.ChoiceField(ReturnState.choices, read_only=True)

    class Meta:
        model = Return
        fields = ["id", "lead_id", "sale_id", "reason", "note", "state", "requested_at", "window_started_at",
                  "decided_at", "decision_reason"]
        read_only_fields = fields
