"""The contact and workspace aggregates: the one writer that moves them, and their repair."""
from decimal import Decimal

from django.db import transaction
from django.db.models import DecimalField, F, IntegerField, OuterRef, Value
from django.db.models.functions import Greatest
from django.utils import timezone

from contacts.models import Contact
from conversions.selectors import (
    actual_count,
    actual_sum,
    contact_aggregate_drift,
    latest_counted_conversion,
    workspace_aggregate_drift,
)
from leadhub.models import MONEY_TOTAL
from leads.services.access import contact_conversion_status_refresh
from workspaces.models import Workspace


def conversion_aggregates_move(*, count: int, value: Decimal, contact_id=None, workspace_id=None):
    """Move a contact's and/or a workspace's stored aggregates by a change of (`count`, `value`) in
    their non-void conversions: the one writer of those columns (recording, changing, voiding,
    merging and purging all call it; only `aggregates_repair` overwrites them).

    The contact's "latest conversion" fields are re-read from the rows, since a backdated, voided
    or moved conversion need not be the latest one; lock the contact row first. Aggregates are
    floored at zero: a data-deletion request must go through even where a total had drifted
    (`aggregates_repair` puts drift right).
    """
    money = DecimalField(**MONEY_TOTAL)

    def moved(column, delta, output_field):
        return Greatest(F(column) + Value(delta, output_field=output_field), Value(0, output_field=output_field),
                        output_field=output_field)

    if contact_id is not None:
        latest = latest_counted_conversion(contact_id=contact_id)
        Contact.objects.filter(pk=contact_id).update(
            conversion_count=moved("conversion_count", count, IntegerField()),
            lifetime_value=moved("lifetime_value", value, money),
            last_conversion_id=str(latest.pk) if latest else "",
            converted_timestamp=latest.converted_at if latest else None,
            converted_by=latest.converted_by if latest else "",
            converted_from_workspace=(latest.workspace_id or "") if latest else "",
            updated_at=timezone.now(),
        )
        contact_conversion_status_refresh(contact_id=contact_id)
    if workspace_id is not None:
        Workspace.objects.filter(pk=workspace_id).update(
            total_conversions=moved("total_conversions", count, IntegerField()),
            total_revenue=moved("total_revenue", value, money),
        )


def conversion_aggregates_apply(conversion, *, count, value):
    """`conversion_aggregates_move` for the conversion's own contact and workspace."""
    conversion_aggregates_move(
        contact_id=conversion.contact_id, workspace_id=conversion.workspace_id, count=count, value=value
    )


@transaction.atomic
def aggregates_repair() -> dict:
    """Set drifted contact and workspace aggregates back to COUNT / SUM of their non-void rows.

    Set-based: one UPDATE with correlated sub-selects per table. The drifted rows are locked
    first, so a conversion in flight on one of them commits before the sums are read and the
    repair cannot overwrite its delta. Returns how many rows of each table were repaired.
    """
    contact_ids = list(contact_aggregate_drift().values_list("pk", flat=True))
    workspace_ids = list(workspace_aggregate_drift().values_list("pk", flat=True))
    list(Contact.objects.select_for_update().filter(pk__in=contact_ids).values_list("pk", flat=True))
    list(Workspace.objects.select_for_update().filter(pk__in=workspace_ids).values_list("pk", flat=True))
    contacts = Contact.objects.filter(pk__in=contact_ids).update(
        conversion_count=actual_count(contact=OuterRef("pk")),
        lifetime_value=actual_sum(contact=OuterRef("pk")),
        updated_at=timezone.now(),
    )
    workspaces = Workspace.objects.filter(pk__in=workspace_ids).update(
        total_conversions=actual_count(workspace=OuterRef("pk")),
        total_revenue=actual_sum(workspace=OuterRef("pk")),
    )
    return {"contacts": contacts, "workspaces": workspaces}
