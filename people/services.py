"""A person's lifecycle across the apps: merge duplicates, purge on a data-deletion request.

This app sits above leads, appointments and conversions, so it imports their models and calls
the conversion aggregates writer directly; `contacts/` keeps only the contact row and its dedup.
"""
from datetime import timedelta

from django.apps import apps
from django.conf import settings
from django.db import transaction
from django.db.models import Count, Q, Sum
from django.utils import timezone

from appointments.models import Appointment, AppointmentEvent
from contacts.models import Contact, ContactEvent, ContactMerge, ContactPurge
from contacts.services import CONTACT_FILL_FIELDS
from conversions.models import Conversion, ConversionEvent
from conversions.services.aggregates import conversion_aggregates_move
from distribution.duplicates import buyer_phones_rebuild
from leadhub.errors import ServiceRefusal, errors_message
from leads.models import (
    ConsentEvidence,
    Lead,
    LeadAccess,
    LeadActivity,
    LeadEvent,
    LeadHold,
    LeadStatusHistory,
    WorkspaceTracking,
)
from providers.services.rejected import rejected_submissions_purge_for_phone
from suppression.services import suppression_entries_purge
from workspaces.delivery import outbox_purge_for_contacts



class PersonRefusal(ServiceRefusal):
    """A merge, unmerge or purge refused, named per field (`non_field_errors` for the record as a
    whole): the API's 422 `validation`."""

    code = "validation"

    def __init__(self, errors: dict):
        super().__init__(errors_message(errors), errors=errors)


class ContactPurgeInvalid(PersonRefusal):
    """A purge without its reason or who performs it."""


class ContactMergeInvalid(PersonRefusal):
    """A merge without who performs it, without duplicates, or of contacts gone or merged already."""


class ContactUnmergeRefused(PersonRefusal):
    """A merge that can no longer be undone (undone already, too old, the survivor merged since, a
    moved lead converted since)."""


def _counted_totals(conversions, owner):
    """{owner id: (COUNT, SUM)} of the non-void rows among `conversions`: what they add to their
    owners' aggregates (`owner` is "contact_id" or "workspace_id")."""
    rows = (
        conversions.filter(voided_at__isnull=True).exclude(**{owner: None}).order_by()
        .values(owner).annotate(count=Count("pk"), value=Sum("conversion_value"))
    )
    return {row[owner]: (row["count"], row["value"]) for row in rows}


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
        raise ContactPurgeInvalid({"reason": ["A reason is required to purge a contact."]})
    if not by:
        raise ContactPurgeInvalid({"by": ["Say who performs the purge."]})

    contact = Contact.objects.select_for_update().get(pk=contact.pk)
    # Duplicates merged into this person are the same person: their rows go too.
    merged_away = list(Contact.objects.select_for_update().filter(merged_into=contact).order_by("pk"))

    # Rows of this person reached directly or through one of their leads.
    own = Q(contact=contact) | Q(lead__contact=contact)
    conversions = Conversion.objects.filter(own)
    appointments = Appointment.objects.filter(own)

    # Another contact's row that points at one of this person's leads keeps its row, not the link.
    foreign_links = Q(lead__contact=contact) & ~Q(contact=contact)
    for model in (Appointment, WorkspaceTracking):
        model.objects.filter(foreign_links).update(lead=None)
    Conversion.objects.filter(foreign_links).update(lead=None, lead_access=None)

    # Workspace totals lose this person's conversions; voided ones left them when voided.
    for workspace_id, (count, value) in _counted_totals(conversions, "workspace_id").items():
        conversion_aggregates_move(workspace_id=workspace_id, count=-count, value=-value)

    steps = [
        LeadEvent.objects.filter(lead__contact=contact),
        LeadStatusHistory.objects.filter(lead__contact=contact),
        LeadActivity.objects.filter(lead__contact=contact),
        WorkspaceTracking.objects.filter(contact=contact),
        AppointmentEvent.objects.filter(appointment__in=appointments),
        ConversionEvent.objects.filter(conversion__in=conversions),
        ContactEvent.objects.filter(contact__in=[contact, *merged_away]),
        conversions,
        appointments,
        LeadAccess.objects.filter(lead__contact=contact),
        ConsentEvidence.objects.filter(lead__contact=contact),
        LeadHold.objects.filter(lead__contact=contact),
        Lead.objects.filter(contact=contact),
    ]
    deleted_counts = {queryset.model._meta.db_table: 0 for queryset in steps}
    phones = dict.fromkeys([contact.phone, *(duplicate.phone for duplicate in merged_away),
                            *Lead.objects.filter(contact=contact).values_list("phone", flat=True).distinct()])
    emails = dict.fromkeys(email for email in [contact.email, *(duplicate.email for duplicate in merged_away),
                                               *Lead.objects.filter(contact=contact).values_list("email", flat=True)
                                               .distinct()] if email)
    for queryset in steps:
        _add_counts(deleted_counts, queryset.delete())
    # Their suppression entries stay, as digests only: a purged opt-out never becomes sellable again.
    deleted_counts["suppression_entry_values"] = suppression_entries_purge(phones=phones, emails=emails)
    # The buyers' duplicate windows keep a phone only while a remaining sale does.
    deleted_counts["distribution_buyer_phones"] = buyer_phones_rebuild(phones=phones)
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


# What a merge moves from the duplicate to the survivor; lead, appointment and conversion events
# follow their rows.
MERGE_MOVES = (Lead, Appointment, Conversion, WorkspaceTracking, ContactEvent)


@transaction.atomic
def contact_merge(*, survivor, duplicates, by):
    """Fold duplicate contacts (the same person under another webhook or phone) into `survivor`.

    Their leads, appointments, conversions, workspace tracking and contact events move to the
    survivor, and their non-void conversions' count and value move with them through the
    conversion aggregates writer; blank survivor fields are filled from the duplicates (the
    fields an incoming record may fill). Each duplicate stays as an empty record with
    `merged_into` set, so ingest sends the next lead for its (webhook, phone) to the survivor.
    Both sides get a `merged` contact event. Workspace totals do not change: the conversions only
    change hands between contacts of one person.
    """
    by = (by or "").strip()
    if not by:
        raise ContactMergeInvalid({"by": ["Say who performs the merge."]})
    duplicate_ids = sorted({duplicate.pk for duplicate in duplicates} - {survivor.pk})
    if not duplicate_ids:
        raise ContactMergeInvalid({"duplicates": ["Choose at least one other contact to merge into the survivor."]})
    involved = Contact.objects.select_for_update().filter(pk__in=[survivor.pk, *duplicate_ids]).order_by("pk")
    locked = {contact.pk: contact for contact in involved}
    missing = sorted(set(duplicate_ids) - set(locked))
    if survivor.pk not in locked or missing:
        raise ContactMergeInvalid({"duplicates": [f"Contact(s) {missing or [survivor.pk]} no longer exist."]})
    survivor = locked[survivor.pk]
    if survivor.merged_into_id:
        raise ContactMergeInvalid({"survivor": [f"Contact #{survivor.pk} was itself merged into #{survivor.merged_into_id}."]})
    already = [pk for pk in duplicate_ids if locked[pk].merged_into_id]
    if already:
        raise ContactMergeInvalid({"duplicates": [f"Contact(s) {already} were already merged."]})

    now = timezone.now()
    moved_totals = _counted_totals(Conversion.objects.filter(contact_id__in=duplicate_ids), "contact_id")
    for pk in duplicate_ids:
        duplicate = locked[pk]
        moved, manifest = {}, {}
        for model in MERGE_MOVES:
            ids = list(model.objects.filter(contact=duplicate).values_list("pk", flat=True))
            _move(model, ids, to=survivor, now=now)
            moved[model._meta.db_table] = len(ids)
            manifest[model._meta.db_table] = [key if isinstance(key, int) else str(key) for key in ids]
        filled = {}
        for name in CONTACT_FILL_FIELDS:
            if not getattr(survivor, name) and getattr(duplicate, name):
                setattr(survivor, name, getattr(duplicate, name))
                filled[name] = getattr(duplicate, name)
        ContactMerge.objects.create(
            survivor=survivor, duplicate=duplicate, merged_by=by, moved=manifest, filled=filled,
            repointed=list(Contact.objects.filter(merged_into_id=pk).values_list("pk", flat=True)),
        )
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
    Contact.objects.filter(pk__in=duplicate_ids).update(merged_into=survivor, updated_at=now)
    survivor.save(update_fields=[*CONTACT_FILL_FIELDS, "updated_at"])
    for pk, (count, value) in moved_totals.items():
        conversion_aggregates_move(contact_id=pk, count=-count, value=-value)
    conversion_aggregates_move(
        contact_id=survivor.pk,
        count=sum(count for count, _value in moved_totals.values()),
        value=sum(value for _count, value in moved_totals.values()),
    )
    survivor.refresh_from_db()
    return survivor


def _move(model, ids, *, to, now):
    changes = {"contact": to}
    if any(field.name == "updated_at" for field in model._meta.concrete_fields):
        changes["updated_at"] = now
    model.objects.filter(pk__in=ids).update(**changes)


def contact_unmerge_deadline(merge):
    return merge.created_at + timedelta(days=settings.CONTACT_UNMERGE_DAYS)


@transaction.atomic
def contact_unmerge(*, merge, by):
    """Undo one merge from its manifest: the rows it moved go back to the duplicate, the survivor
    fields it filled are blanked again (unless edited since), the duplicate is live again and the
    moved conversions' totals go back with them.

    Refused after CONTACT_UNMERGE_DAYS, and when a moved lead has been converted since the merge:
    that conversion was recorded against the merged person and must not silently change owner.
    """
    by = (by or "").strip()
    if not by:
        raise ContactUnmergeRefused({"by": ["Say who undoes the merge."]})
    merge = ContactMerge.objects.select_for_update().get(pk=merge.pk)
    if merge.unmerged_at:
        raise ContactUnmergeRefused({"non_field_errors": [
            f"This merge was already undone on {merge.unmerged_at:%Y-%m-%d %H:%M} UTC by {merge.unmerged_by}."]})
    now = timezone.now()
    if now > contact_unmerge_deadline(merge):
        raise ContactUnmergeRefused({"non_field_errors": [
            f"Merges can be undone for {settings.CONTACT_UNMERGE_DAYS} days; this one is older."]})
    contacts = {c.pk: c for c in Contact.objects.select_for_update().filter(pk__in=[merge.survivor_id, merge.duplicate_id])}
    survivor, duplicate = contacts[merge.survivor_id], contacts[merge.duplicate_id]
    if survivor.merged_into_id:
        raise ContactUnmergeRefused({"non_field_errors": [
            f"Contact #{survivor.pk} was itself merged into #{survivor.merged_into_id} since; undo that merge first."]})
    lead_ids = merge.moved.get(Lead._meta.db_table, [])
    converted = sorted(
        {*Conversion.objects.filter(lead_id__in=lead_ids, created_at__gt=merge.created_at).values_list("lead_id", flat=True),
         *Lead.objects.filter(pk__in=lead_ids, status="converted", status_changed_at__gt=merge.created_at)
         .values_list("pk", flat=True)}
    )
    if converted:
        raise ContactUnmergeRefused({"non_field_errors": [
            f"Lead(s) {', '.join(f'#{pk}' for pk in converted)} moved by this merge have been converted since; "
            "the merge cannot be undone."]})
    conversion_ids = merge.moved.get(Conversion._meta.db_table, [])
    totals = _counted_totals(Conversion.objects.filter(pk__in=conversion_ids, contact=survivor), "contact_id")
    for model in MERGE_MOVES:
        ids = merge.moved.get(model._meta.db_table, [])
        _move(model, list(model.objects.filter(pk__in=ids, contact=survivor).values_list("pk", flat=True)),
              to=duplicate, now=now)
    restored = [name for name, value in merge.filled.items() if getattr(survivor, name) == value]
    for name in restored:
        setattr(survivor, name, "")
    survivor.save(update_fields=[*restored, "updated_at"])
    Contact.objects.filter(pk=duplicate.pk).update(merged_into=None, updated_at=now)
    Contact.objects.filter(pk__in=merge.repointed, merged_into=survivor).update(merged_into=duplicate, updated_at=now)
    count, value = totals.get(survivor.pk, (0, 0))
    if count or value:
        conversion_aggregates_move(contact_id=survivor.pk, count=-count, value=-value)
        conversion_aggregates_move(contact_id=duplicate.pk, count=count, value=value)
    for contact, other in ((survivor, duplicate), (duplicate, survivor)):
        ContactEvent.objects.create(contact=contact, event_type=ContactEvent.UNMERGED,
                                    event_data={"merge_id": merge.pk, "other_contact_id": other.pk, "by": by})
    merge.unmerged_at, merge.unmerged_by = now, by
    merge.save(update_fields=["unmerged_at", "unmerged_by"])
    return merge
