"""Contact use cases (writes): the one (webhook, phone) dedup every incoming record goes through,
and ops' corrections by hand."""
from django.db import connection, transaction

from contacts.models import Contact, ContactEvent
from leadhub.errors import ServiceRefusal, errors_message
from leadhub.models import field_changes_apply

# Contact columns an incoming record (lead, appointment, a merged duplicate) may fill while they
# are still blank; they are never overwritten.
CONTACT_FILL_FIELDS = (
    "first_name", "last_name", "email", "address", "address2", "city", "state", "zip_code",
    "sent_from_workspace",
)



class ContactInvalid(ServiceRefusal):
    """A contact write refused, named per field (fields ops may not change here): the API's 422
    `validation`."""

    code = "validation"

    def __init__(self, errors: dict):
        super().__init__(errors_message(errors), errors=errors)


def contact_upsert(*, webhook_id, phone, values, now, fill_existing: bool = True):
    """The live contact for (webhook_id, phone), created or row-locked in one statement, with its
    blank CONTACT_FILL_FIELDS filled from `values` (other keys are ignored). `fill_existing=False`
    (a held lead) leaves an existing contact as it is: a workspace holding another lead of the
    person must not read what the held lead sent; `contact_blanks_fill` fills them at release.

    INSERT ... ON CONFLICT DO UPDATE both bumps `updated_at` and row-locks an existing contact,
    so concurrent records for one phone queue up behind each other instead of racing, and no
    IntegrityError can occur. A contact merged away by ops hands over to its survivor, so every
    record about this person lands on the one live contact. Call inside a transaction.
    Returns (contact, created, changed field names).
    """
    values = {name: values[name] for name in CONTACT_FILL_FIELDS if values.get(name)}
    contact = Contact(webhook_id=webhook_id, phone=phone, created_at=now, updated_at=now, **values)
    fields = [f for f in Contact._meta.concrete_fields if not f.primary_key]
    quote = connection.ops.quote_name
    # PostgreSQL marks a freshly inserted row with xmax = 0; SQLite (writers serialised) can
    # compare the two timestamps, which only an insert sets to the same value.
    inserted = "(xmax = 0)" if connection.vendor == "postgresql" else "(created_at = updated_at)"
    sql = (
        f"INSERT INTO {quote(Contact._meta.db_table)} ({', '.join(quote(f.column) for f in fields)}) "
        f"VALUES ({', '.join(['%s'] * len(fields))}) "
        "ON CONFLICT (webhook_id, phone) DO UPDATE SET updated_at = excluded.updated_at "
        f"RETURNING *, {inserted} AS inserted"
    )
    params = [f.get_db_prep_save(getattr(contact, f.attname), connection) for f in fields]
    (contact,) = list(Contact.objects.raw(sql, params))
    if contact.merged_into_id is not None:
        contact = Contact.objects.select_for_update().get(pk=contact.merged_into_id)
    elif contact.inserted:
        return contact, True, []
    return contact, False, contact_blanks_fill(contact=contact, values=values) if fill_existing else []


def contact_blanks_fill(*, contact, values) -> list[str]:
    """Fill the contact's blank CONTACT_FILL_FIELDS from `values`; returns the names filled."""
    fill = {name: values[name] for name in CONTACT_FILL_FIELDS if values.get(name) and not getattr(contact, name)}
    if fill:
        Contact.objects.filter(pk=contact.pk).update(**fill)
        for name, value in fill.items():
            setattr(contact, name, value)
    return sorted(fill)


# What ops may correct by hand (the contact admin's form); the phone and webhook are the dedup
# key, the conversion fields are the conversion services' aggregates.
CONTACT_OPS_FIELDS = (
    "first_name", "last_name", "email", "address", "address2", "city", "state", "zip_code", "sent_from_workspace",
    "qualification_score", "custom_metadata",
)


@transaction.atomic
def contact_update(*, contact, data: dict, by: str):
    """Ops correct a contact: the changed fields are written and recorded as an `updated` contact
    event (old and new values, as a lead's `updated` event has). Nothing changed, nothing written."""
    unknown = sorted(set(data) - set(CONTACT_OPS_FIELDS))
    if unknown:
        raise ContactInvalid({field: ["This field cannot be changed here."] for field in unknown})
    contact = Contact.objects.select_for_update().get(pk=contact.pk)
    changes = field_changes_apply(contact, data)
    if not changes:
        return contact
    contact.full_clean(exclude=[f.name for f in Contact._meta.fields if f.name not in changes], validate_unique=False)
    contact.save(update_fields=[*changes, "updated_at"])
    ContactEvent.objects.create(
        contact=contact, event_type=ContactEvent.UPDATED,
        event_data={"changed_fields": sorted(changes), "changes": changes, "by": by},
    )
    return contact
