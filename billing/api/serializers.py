from rest_framework import serializers

from billing.models import Statement
from ledger.models import Entry

STATEMENT_FIELDS = [
    "id", "period", "period_kind", "time_zone", "starts_at", "ends_at", "closed_at", "status", "entry_count",
    "leads_bought", "appointments_bought", "gross_sales", "returns_credited", "undelivered_credited", "adjustments",
    "deposits", "net", "conversions_reported",
]


class StatementSerializer(serializers.ModelSerializer):
    """A buyer's statement: what it bought (sales positive), what was credited back (negative),
    its deposits (negative: money it paid in) and `net`, the sum of every line."""

    status = serializers.SerializerMethodField(help_text="`closed` (final, never changes) or `open` (running).")

    class Meta:
        model = Statement
        fields = STATEMENT_FIELDS

    def get_status(self, statement) -> str:
        return "closed" if statement.pk else "open"


class StatementLineSerializer(serializers.ModelSerializer):
    class Meta:
        model = Entry
        fields = ["id", "created_at", "kind", "amount", "currency", "lead_id", "reference", "note"]


class LinesMixin(serializers.Serializer):
    """A statement's lines, as its view read them (context `lines`), in the party's line shape."""

    line_serializer: type[serializers.Serializer]
    lines = serializers.SerializerMethodField()

    def get_lines(self, statement) -> list[dict]:
        return self.line_serializer(self.context["lines"], many=True).data


class StatementDetailSerializer(LinesMixin, StatementSerializer):
    line_serializer = StatementLineSerializer

    class Meta:
        model = Statement
        fields = [*STATEMENT_FIELDS, "lines"]


SOURCE_STATEMENT_FIELDS = [
    "id", "period", "period_kind", "time_zone", "starts_at", "ends_at", "closed_at", "status", "entry_count",
    "leads_accepted", "payouts", "chargebacks", "adjustments", "net",
]


class SourceStatementSerializer(StatementSerializer):
    """A source's statement: what it is owed (payouts positive), what was taken back (chargebacks,
    negative) and `net`. Its lines are its own payouts and chargebacks: no buyer, no price."""

    class Meta:
        model = Statement
        fields = SOURCE_STATEMENT_FIELDS


class SourceStatementLineSerializer(serializers.ModelSerializer):
    class Meta:
        model = Entry
        fields = ["id", "created_at", "kind", "amount", "currency", "lead_id", "webhook_id"]


class SourceStatementDetailSerializer(LinesMixin, SourceStatementSerializer):
    line_serializer = SourceStatementLineSerializer

    class Meta:
        model = Statement
        fields = [*SOURCE_STATEMENT_FIELDS, "lines"]
