"""A lead source's own leads and what became of each: accepted, held (why), sold, returned (why),
its payout and chargebacks. Never a buyer, never a price; never another provider's lead."""
from decimal import Decimal

from django.db.models import DecimalField, Exists, Min, OuterRef, Q, Subquery, Sum, Value
from django.db.models.functions import Coalesce

from distribution.models import Sale
from leadhub.models import MONEY_TOTAL
from ledger.models import Entry, EntryKind
from leads.models import Lead
from returns.models import Return, ReturnState


def _source_sum(kind):
    total = (Entry.objects.filter(lead_id=OuterRef("pk"), kind=kind).order_by().values("lead_id")
             .annotate(total=Sum("amount")).values("total"))
    return Coalesce(Subquery(total, output_field=DecimalField(**MONEY_TOTAL)), Value(Decimal("0")),
                    output_field=DecimalField(**MONEY_TOTAL))


def provider_leads(*, provider):
    """The provider's leads with their disposition annotated (one query a page): `sold`, `sold_at`
    (its first sale), `returned` (a buyer was credited a return), `payout` and `chargebacks`."""
    first_sale = Sale.objects.filter(lead_id=OuterRef("pk"), appointment__isnull=True).order_by().values("lead_id")
    return (
        Lead.objects.filter(provider_id=provider.provider_id)
        .only("id", "external_id", "webhook_id", "lead_type", "created_at", "hold_reasons")
        .annotate(
            sold=Exists(Sale.objects.filter(lead_id=OuterRef("pk"), appointment__isnull=True)),
            sold_at=Subquery(first_sale.annotate(first=Min("sold_at")).values("first")),
            returned=Exists(Entry.objects.filter(lead_id=OuterRef("pk"), kind=EntryKind.RETURN_CREDIT)),
            payout=_source_sum(EntryKind.PAYOUT),
            chargebacks=_source_sum(EntryKind.CHARGEBACK),
        )
    )


def provider_lead_disposition_filter(disposition: str) -> Q:
    """`?disposition=`: held, sold, unsold, returned (accepted: every stored lead)."""
    return {
        "accepted": Q(),
        "held": ~Q(hold_reasons=""),
        "sold": Q(sold=True),
        "unsold": Q(sold=False),
        "returned": Q(returned=True),
    }[disposition]


def lead_return_reason_codes(*, lead_ids) -> dict:
    """{lead id: the reason code of its approved return (the latest)} — the one place a returned
    lead's reason is read for its source. One query."""
    approved = (Return.objects.filter(lead_id__in=lead_ids, state=ReturnState.APPROVED)
                .order_by("lead_id", "decided_at", "pk").values_list("lead_id", "reason__code"))
    return dict(approved)
