"""The parties a statement is about, one entry per kind (the registry a new kind of party joins):
which side of the ledger its entries are on and which column names it, its zone, its name, who
they all are, and the figures its statement shows. Every money figure is a sum of the
statement's entries; the counts are counts of its entries, except a buyer's conversions
reported, read from conversions (the one figure the ledger does not hold)."""
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings

from conversions.models import Conversion
from distribution.models import Sale
from ledger.models import EntryKind, Side
from providers.models import LeadSourceProvider
from workspaces.models import Workspace

from .models import PartyKind

ZERO = Decimal("0")


def _sum(entries, kind) -> Decimal:
    return sum((entry.amount for entry in entries if entry.kind == kind), ZERO)


def _buyer_figures(entries, party_id, period) -> dict:
    sale_ids = [int(entry.reference[5:]) for entry in entries
                if entry.kind == EntryKind.SALE and entry.reference.startswith("sale:")]
    appointments = Sale.objects.filter(pk__in=sale_ids, appointment__isnull=False).count() if sale_ids else 0
    return {
        "leads_bought": sum(entry.kind == EntryKind.SALE for entry in entries) - appointments,
        "appointments_bought": appointments,
        "gross_sales": _sum(entries, EntryKind.SALE),
        "returns_credited": _sum(entries, EntryKind.RETURN_CREDIT),
        "undelivered_credited": _sum(entries, EntryKind.UNDELIVERED),
        "deposits": _sum(entries, EntryKind.DEPOSIT),
        "adjustments": _sum(entries, EntryKind.ADJUSTMENT),
        "conversions_reported": Conversion.objects.filter(
            workspace_id=party_id, created_at__gte=period.starts_at, created_at__lt=period.ends_at,
            voided_at__isnull=True).count(),
    }


def _source_figures(entries, party_id, period) -> dict:
    return {
        "leads_accepted": sum(entry.kind == EntryKind.PAYOUT for entry in entries),
        "payouts": _sum(entries, EntryKind.PAYOUT),
        "chargebacks": _sum(entries, EntryKind.CHARGEBACK),
        "adjustments": _sum(entries, EntryKind.ADJUSTMENT),
    }


@dataclass(frozen=True)
class Party:
    side: str  # the ledger side its entries are on
    entry_field: str  # the entry column naming it
    model: type
    key: str  # the model's field holding the id
    name_field: str
    figures: Callable  # (entries, party_id, period) -> the statement's figures but net
    figure_names: tuple  # what its statement shows, in order

    def row(self, party_id):
        return self.model.objects.filter(**{self.key: party_id}).values("time_zone", self.name_field).first()

    def zone(self, party_id) -> str:
        """The party's zone; one since deleted is cut in the ops zone."""
        row = self.row(party_id)
        return row["time_zone"] if row else settings.OPS_TIME_ZONE

    def name(self, party_id) -> str:
        row = self.row(party_id)
        return row[self.name_field] if row else party_id

    def ids(self):
        return self.model.objects.order_by(self.key).values_list(self.key, flat=True)


PARTIES = {
    PartyKind.BUYER: Party(
        side=Side.BUYER, entry_field="workspace_id", model=Workspace, key="pk", name_field="name",
        figures=_buyer_figures,
        figure_names=("leads_bought", "appointments_bought", "gross_sales", "returns_credited", "undelivered_credited",
                      "adjustments", "deposits", "net", "conversions_reported"),
    ),
    PartyKind.SOURCE: Party(
        side=Side.SOURCE, entry_field="provider_id", model=LeadSourceProvider, key="provider_id",
        name_field="provider_name", figures=_source_figures,
        figure_names=("leads_accepted", "payouts", "chargebacks", "adjustments", "net"),
    ),
}


def statement_figures(party_kind, entries, party_id, period) -> dict:
    """A statement's figures from its entries; `net` is the sum of them all."""
    figures = PARTIES[party_kind].figures(entries, party_id, period)
    return {**figures, "net": sum((entry.amount for entry in entries), ZERO), "entry_count": len(entries)}
