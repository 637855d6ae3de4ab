"""Contact use cases (writes)."""
from django.apps import apps
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, DecimalField, F, IntegerField, Q, Sum, Value
from django.db.models.functions import Greatest
from django.utils import timezone

from contacts.models import Contact, ContactEvent, ContactPurge, ConversionStatus
from providers.services import rejected_submissions_purge_for_phone
from workspaces.delivery import outbox_purge_for_contacts
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
    money = DecimalField(max_digits=20, decimal_places=2)
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
    # Duplicates merged into this person are the same person: their rows go too.
    merged_away = list(Contact.objects.select_for_update().filter(merged_into=contact).order_by("pk"))
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
        ContactEvent.objects.filter(contact__in=[contact, *merged_away]),
        conversions,
        appointments,
        contact.leads.all(),
    ]
    deleted_counts = {queryset.model._meta.db_table: 0 for queryset in steps}
    for queryset in steps:
        _add_counts(deleted_counts, queryset.delete())
    phones = dict.fromkeys([contact.phone, *(duplicate.phone for duplicate in merged_away)])
    deleted_counts["rejected_submissions"] = sum(rejected_submissions_purge_for_phone(phone=p) for p in phones)
    # Outbound webhook payloads about this person, with their attempt logs.
    deleted_counts.update(outbox_purge_for_contacts(contact_ids=[contact.pk, *(d.pk for d in merged_away)]))
    contact_id = contact.pk
    if merged_away:
        _add_counts(deleted_counts, Contact.objects.filter(merged_into=contact).delete())
    _add_counts(deleted_counts, contact.delete())

    return ContactPurge.objects.create(
        contact_id=contact_id, reason=reason, performed_by=by, deleted_counts=deleted_counts
    )


# Blank survivor columns a duplicate may fill (the same set ingest fills on a known contact).
MERGE_FILL_FIELDS = ("email", "address", "address2", "city", "state", "zip_code", "sent_from_workspace")
# What a merge moves from the duplicate to the survivor; lead, appointment and conversion events
# follow their rows.
MERGE_MOVES = ("leads", "appointments", "conversions", "workspace_tracking", "events")


@transaction.atomic
def contact_merge(*, survivor, duplicates, by):
    """Fold duplicate contacts (the same person under another webhook or phone) into `survivor`.

    Their leads, appointments, conversions, workspace tracking and contact events move to the
    survivor, whose conversion aggregates are recomputed from its non-void conversions; blank
    survivor fields are filled from the duplicates. Each duplicate stays as an empty record with
    `merged_into` set, so ingest sends the next lead for its (webhook, phone) to the survivor.
    Both sides get a `merged` contact event. Workspace totals do not change: the conversions only
    change hands between contacts of one person.
    """
    by = (by or "").strip()
    if not by:
        raise ValidationError({"by": "Say who performs the merge."})
    duplicate_ids = sorted({duplicate.pk for duplicate in duplicates} - {survivor.pk})
    if not duplicate_ids:
        raise ValidationError({"duplicates": "Choose at least one other contact to merge into the survivor."})
    involved = Contact.objects.select_for_update().filter(pk__in=[survivor.pk, *duplicate_ids]).order_by("pk")
    locked = {contact.pk: contact for contact in involved}
    missing = sorted(set(duplicate_ids) - set(locked))
    if survivor.pk not in locked or missing:
        raise ValidationError({"duplicates": f"Contact(s) {missing or [survivor.pk]} no longer exist."})
    survivor = locked[survivor.pk]
    if survivor.merged_into_id:
        raise ValidationError({"survivor": f"Contact #{survivor.pk} was itself merged into #{survivor.merged_into_id}."})
    already = [pk for pk in duplicate_ids if locked[pk].merged_into_id]
    if already:
        raise ValidationError({"duplicates": f"Contact(s) {already} were already merged."})

    now = timezone.now()
    for pk in duplicate_ids:
        duplicate = locked[pk]
        moved = {}
        for accessor in MERGE_MOVES:
            model = related_model(Contact, accessor)
            changes = {"contact": survivor}
            if any(field.name == "updated_at" for field in model._meta.concrete_fields):
                changes["updated_at"] = now
            moved[model._meta.db_table] = model.objects.filter(contact=duplicate).update(**changes)
        for name in MERGE_FILL_FIELDS:
            if not getattr(survivor, name) and getattr(duplicate, name):
                setattr(survivor, name, getattr(duplicate, name))
        ContactEvent.objects.create(
            contact=survivor,
            event_type=ContactEvent.MERGED,
            event_data={"merged_contact_id": pk, "webhook_id": duplicate.webhook_id, "moved": moved, "by": by},
        )
        ContactEvent.objects.create(
            contact=duplicate, event_type=ContactEvent.MERGED, event_data={"merged_into": survivor.pk, "by": by}
        )
    # Keep merged_into one hop: whatever pointed at a duplicate now points at the survivor.
    Contact.objects.filter(merged_into_id__in=duplicate_ids).update(merged_into=survivor, updated_at=now)
    Contact.objects.filter(pk__in=duplicate_ids).update(
        merged_into=survivor,
        conversion_count=0,
        lifetime_value=0,
        last_conversion_id="",
        conversion_status=ConversionStatus.PENDING,
        converted_timestamp=None,
        converted_by="",
        converted_from_workspace="",
        updated_at=now,
    )
    survivor.save(update_fields=[*MERGE_FILL_FIELDS, "updated_at"])
    _recount_conversions(survivor)
    survivor.refresh_from_db()
    return survivor


def _recount_conversions(contact):
    """Set the contact's conversion aggregates to COUNT / SUM of its non-void conversions and its
    "latest conversion" fields to the newest one (the conversion services' invariant)."""
    counted = contact.conversions.filter(voided_at__isnull=True)
    totals = counted.aggregate(count=Count("pk"), value=Sum("conversion_value"))
    latest = counted.order_by("-converted_at", "-created_at").first()
    changes = {"conversion_count": totals["count"], "lifetime_value": totals["value"] or 0}
    if latest is not None:
        changes.update(
            last_conversion_id=str(latest.pk),
            conversion_status=ConversionStatus.CONVERTED,
            converted_timestamp=latest.converted_at,
            converted_by=latest.converted_by,
            converted_from_workspace=latest.workspace_id or "",
        )
    Contact.objects.filter(pk=contact.pk).update(**changes)
