"""Contact use cases (writes)."""
from django.apps import apps
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, DecimalField, F, IntegerField, Q, Sum, Value
from django.db.models.functions import Greatest

from contacts.models import Contact, ContactPurge
from providers.services import rejected_submissions_purge_for_phone
from workspaces.models import Workspace


def related_model(model, accessor):
    """The model behind a reverse relation: contacts/ reaches the higher apps without importing them."""
    return model._meta.get_field(accessor).related_model


def _reverse_conversion_totals(conversions):
    """Take `conversions` back out of their workspaces' totals, one F() update per workspace.

    Floored at zero: a data-deletion request must go through even if a total had drifted.
    Voided conversions are skipped: they left the totals when they were voided.
    """
    per_workspace = (
        conversions.exclude(workspace=None)
        .filter(voided_at__isnull=True)
        .order_by()
        .values("workspace_id")
        .annotate(count=Count("pk"), revenue=Sum("conversion_value"))
    )
    money = DecimalField(max_digits=14, decimal_places=2)
    for row in per_workspace:
        Workspace.objects.filter(pk=row["workspace_id"]).update(
            total_conversions=Greatest(
                F("total_conversions") - Value(row["count"]), Value(0), output_field=IntegerField()
            ),
            total_revenue=Greatest(
                F("total_revenue") - Value(row["revenue"], output_field=money),
                Value(0, output_field=money),
                output_field=money,
            ),
        )


def _add_counts(counts, deletion):
    """Add a `delete()` result ({"app.Model": n}) to `counts` keyed by table name."""
    _total, per_model = deletion
    for label, deleted in per_model.items():
        table = apps.get_model(label)._meta.db_table
        counts[table] = counts.get(table, 0) + deleted


@transaction.atomic
def contact_purge(*, contact, reason, by):
    """Delete everything leadhub holds about one person (a consumer data-deletion request).

    Rows go in the seed's CRITICAL DELETE ORDER (events, conversions, appointments, leads, the
    contact) because every foreign key PROTECTs. Workspace totals lose this person's conversions
    first so aggregates stay true. The returned audit record holds ids and counts only.
    """
    reason = (reason or "").strip()
    by = (by or "").strip()
    if not reason:
        raise ValidationError({"reason": "A reason is required to purge a contact."})
    if not by:
        raise ValidationError({"by": "Say who performs the purge."})

    contact = Contact.objects.select_for_update().get(pk=contact.pk)
    Lead = related_model(Contact, "leads")
    Appointment = related_model(Contact, "appointments")
    Conversion = related_model(Contact, "conversions")
    Tracking = related_model(Contact, "workspace_tracking")

    # Rows of this person reached directly or through one of their leads.
    own = Q(contact=contact) | Q(lead__contact=contact)
    conversions = Conversion.objects.filter(own)
    appointments = Appointment.objects.filter(own)

    # Another contact's row that points at one of this person's leads keeps its row, not the link.
    foreign_links = Q(lead__contact=contact) & ~Q(contact=contact)
    for model in (Appointment, Conversion, Tracking):
        model.objects.filter(foreign_links).update(lead=None)

    _reverse_conversion_totals(conversions)

    steps = [
        related_model(Lead, "events").objects.filter(lead__contact=contact),
        related_model(Lead, "status_history").objects.filter(lead__contact=contact),
        related_model(Lead, "activities").objects.filter(lead__contact=contact),
        Tracking.objects.filter(contact=contact),
        related_model(Appointment, "events").objects.filter(appointment__in=appointments),
        related_model(Conversion, "events").objects.filter(conversion__in=conversions),
        contact.events.all(),
        conversions,
        appointments,
        contact.leads.all(),
    ]
    deleted_counts = {queryset.model._meta.db_table: 0 for queryset in steps}
    for queryset in steps:
        _add_counts(deleted_counts, queryset.delete())
    deleted_counts["rejected_submissions"] = rejected_submissions_purge_for_phone(phone=contact.phone)
    contact_id = contact.pk
    _add_counts(deleted_counts, contact.delete())

    return ContactPurge.objects.create(
        contact_id=contact_id, reason=reason, performed_by=by, deleted_counts=deleted_counts
    )
