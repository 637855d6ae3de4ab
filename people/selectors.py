"""The "same person" rule: when two live contacts look like one person. The contact admin's
duplicates filter, a contact's candidates and the merge form's check all read it from here, in SQL
(`person_keys_annotated`) and in Python (`person_keys`), which spell the same keys.

Two contacts match on
- phone: the same normalised phone (one per webhook, so a match is under another webhook);
- email: the same address in any case;
- name + ZIP: the same first and last name (trimmed, in any case) in the same 5-digit ZIP
  (a ZIP+4 counts by its first five; a name or ZIP left blank matches nothing).
"""
from django.db.models import Exists, OuterRef, Q
from django.db.models.functions import Left, Lower, Trim

from contacts.models import Contact

# Each match, by the annotated columns (`person_keys_annotated`) that must all be equal.
MATCH_COLUMNS = {
    "phone": ("phone",),
    "email": ("same_email",),
    "name + ZIP": ("same_first", "same_last", "same_zip"),
}


def live_contacts():
    """Contacts that were not merged away."""
    return Contact.objects.filter(merged_into__isnull=True)


def person_keys_annotated(queryset):
    """`queryset` with the match columns of MATCH_COLUMNS (the email's is on its Lower index)."""
    return queryset.annotate(
        same_email=Lower("email"), same_first=Lower(Trim("first_name")), same_last=Lower(Trim("last_name")),
        same_zip=Left("zip_code", 5),
    )


def person_keys(contact) -> dict:
    """{match: key} of `contact`, each key the values of its MATCH_COLUMNS; a match with a blank
    part is left out."""
    values = {
        "phone": contact.phone,
        "same_email": contact.email.lower(),
        "same_first": contact.first_name.strip().lower(),
        "same_last": contact.last_name.strip().lower(),
        "same_zip": contact.zip_code[:5],
    }
    keys = {match: tuple(values[column] for column in columns) for match, columns in MATCH_COLUMNS.items()}
    return {match: key for match, key in keys.items() if all(key)}


def contact_matches(a, b) -> list[str]:
    """What two contacts share that makes them look like one person (keys of MATCH_COLUMNS)."""
    theirs = person_keys(b)
    return [match for match, key in person_keys(a).items() if theirs.get(match) == key]


def merge_candidates_by_match(contact, limit=10):
    """Other live contacts that look like the same person as `contact`, grouped by what matched:
    [(match, [contacts])], empty groups left out, at most `limit` a group."""
    others = person_keys_annotated(live_contacts().exclude(pk=contact.pk)).order_by("pk")
    groups = []
    for match, key in person_keys(contact).items():
        rows = others.filter(**dict(zip(MATCH_COLUMNS[match], key, strict=True)))
        if match == "name + ZIP":
            rows = rows.filter(zip_code__startswith=key[-1])  # narrows on the ZIP index
        if rows := list(rows[:limit]):
            groups.append((match, rows))
    return groups


def contacts_with_merge_candidates():
    """Live contacts that share a match with another live contact."""
    live = person_keys_annotated(live_contacts())
    shared = Q()
    for columns in MATCH_COLUMNS.values():
        other = live.exclude(pk=OuterRef("pk")).filter(**{column: OuterRef(column) for column in columns})
        shared |= Q(Exists(other), *(~Q(**{column: ""}) for column in columns))
    return live.filter(shared)
