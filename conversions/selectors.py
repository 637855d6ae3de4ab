"""Conversion reads: the partner API's querysets, rate look-ups and aggregate drift.

`workspace=None` is the ops view across all workspaces; views pass None only for staff.
"""
from datetime import date
from decimal import Decimal

from django.db.models import Count, DecimalField, F, IntegerField, OuterRef, Q, Subquery, Sum, Value
from django.db.models.functions import Coalesce, Round

from contacts.models import Contact
from conversions.models import USD, Conversion, CurrencyRate
from leadhub.models import MONEY_TOTAL
from leads.selectors import contact_held_by, lead_held_by, lead_timeline_item
from workspaces.models import Workspace
from workspaces.selectors import readable_by


def conversion_list(*, workspace):
    """Conversions recorded by `workspace` (voided ones included, marked by `voided_at`)."""
    conversions = Conversion.objects.all()
    if workspace is not None:
        conversions = conversions.filter(workspace=workspace)
    return conversions


def conversions_changeable_by(*, workspace):
    """Conversions `workspace` may change or void: its own, while it still holds their lead (one
    without a lead: a lead of their contact), as it had to when it recorded them; a workspace that
    lost the lead has no say over the contact's totals any more. Ops (`workspace=None`): all."""
    conversions = Conversion.objects.all()
    if workspace is None:
        return conversions
    return conversions.filter(workspace=workspace).filter(
        Q(lead_held_by(workspace=workspace, lead_ref="lead_id"), lead__isnull=False)
        | Q(contact_held_by(workspace=workspace, contact_ref="contact_id"), lead__isnull=True)
    )


def usd_rate(*, currency: str, on: date):
    """USD per unit of `currency` on day `on`: a rate holds from its date until the next one; 1 for
    USD; None when ops have entered none on or before that day."""
    if currency == USD:
        return Decimal("1")
    return (
        CurrencyRate.objects.filter(currency=currency, date__lte=on)
        .order_by("-date").values_list("usd_rate", flat=True).first()
    )


def _counted(**outer):
    """Non-void conversions of the outer row (`contact` or `workspace` = OuterRef("pk"))."""
    return Conversion.objects.filter(voided_at__isnull=True, **outer).order_by().values(*outer)


def actual_count(**outer):
    rows = _counted(**outer).annotate(n=Count("pk")).values("n")
    return Coalesce(Subquery(rows, output_field=IntegerField()), Value(0), output_field=IntegerField())


def actual_sum(**outer):
    rows = _counted(**outer).annotate(total=Sum("conversion_value")).values("total")
    money = DecimalField(**MONEY_TOTAL)
    return Coalesce(Subquery(rows, output_field=money), Value(0, output_field=money), output_field=money)


def _aggregate_drift(model, *, owner, count_field, value_field):
    """Rows of `model` whose stored `count_field` / `value_field` differ from the non-void
    conversions whose `owner` they are.

    One set-based query: correlated sub-selects over `conversions`, no per-row Python. Money is
    compared rounded to cents: exact on PostgreSQL's numeric, and SQLite keeps decimals as REAL.
    """
    return (
        model.objects.annotate(
            actual_count=actual_count(**{owner: OuterRef("pk")}),
            actual_value=actual_sum(**{owner: OuterRef("pk")}),
            stored_cents=Round(value_field, 2),
        )
        .filter(~Q(**{count_field: F("actual_count")}) | ~Q(stored_cents=Round("actual_value", 2)))
        .order_by("pk")
    )


def contact_aggregate_drift():
    """Contacts whose stored count / lifetime value differ from their non-void conversions."""
    return _aggregate_drift(Contact, owner="contact", count_field="conversion_count", value_field="lifetime_value")


def workspace_aggregate_drift():
    """Workspaces whose stored totals differ from their non-void conversions."""
    return _aggregate_drift(
        Workspace, owner="workspace", count_field="total_conversions", value_field="total_revenue"
    )


def latest_counted_conversion(*, contact_id=None, lead_id=None):
    """The newest non-void conversion (by `converted_at`) of a contact or of a lead, or None."""
    conversions = Conversion.objects.filter(voided_at__isnull=True)
    conversions = conversions.filter(contact_id=contact_id) if contact_id is not None else conversions.filter(lead_id=lead_id)
    return conversions.order_by("-converted_at", "-created_at").first()


def lead_conversion_items(*, lead, workspace) -> list[dict]:
    """The lead's section of conversions on its timeline (`leads.selectors.lead_timeline`): as in
    the caller's events list, only with `conversions:read` and only those it recorded."""
    return [
        lead_timeline_item(
            "conversion",
            conversion.converted_at,
            str(conversion.pk),
            conversion.conversion_type,
            {
                "conversion_type": conversion.conversion_type,
                "conversion_value": str(conversion.conversion_value),
                "currency": conversion.currency,
            },
        )
        for conversion in Conversion.objects.filter(lead=lead).filter(
            readable_by(workspace=workspace, family="conversion")
        )
    ]
