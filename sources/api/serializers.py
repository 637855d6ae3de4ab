"""What a source reads of its lead: its own reference and what became of it; no buyer, no price."""
from decimal import Decimal

from django.conf import settings
from rest_framework import serializers

from ledger.services import CENT


def _money(value) -> str:
    return str(Decimal(str(value or 0)).quantize(CENT))


class ProviderLeadSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    external_id = serializers.CharField(allow_null=True)
    webhook_id = serializers.CharField()
    lead_type = serializers.CharField()
    created_at = serializers.DateTimeField()
    disposition = serializers.SerializerMethodField()

    def get_disposition(self, lead) -> dict:
        holds = [code for code in lead.hold_reasons.split(",") if code]
        return {
            "accepted": True,
            "held": bool(holds),
            "hold_reasons": holds,
            "sold": lead.sold,
            "sold_at": serializers.DateTimeField().to_representation(lead.sold_at) if lead.sold_at else None,
            "returned": lead.returned,
            "return_reason": self.context.get("return_reasons", {}).get(lead.pk) if lead.returned else None,
            "payout": {
                "amount": _money(lead.payout), "chargebacks": _money(lead.chargebacks),
                "net": _money(lead.payout + lead.chargebacks), "currency": settings.LEDGER_CURRENCY,
            },
        }
