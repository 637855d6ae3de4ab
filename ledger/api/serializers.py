from rest_framework import serializers

from workspaces.models import BillingMode


class BalanceSerializer(serializers.Serializer):
    billing_mode = serializers.ChoiceField(choices=BillingMode.choices)
    balance = serializers.DecimalField(max_digits=20, decimal_places=2,
                                       help_text="Money paid in and credited less what was bought.")
    credit_limit = serializers.DecimalField(max_digits=14, decimal_places=2)
    available = serializers.DecimalField(max_digits=20, decimal_places=2,
                                         help_text="balance + credit_limit: a prepaid buyer buys while it covers the price.")
    low_balance_threshold = serializers.DecimalField(max_digits=14, decimal_places=2, allow_null=True)
    currency = serializers.CharField()
    as_of = serializers.DateTimeField()
