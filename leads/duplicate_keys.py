"""What a duplicate rule at intake may compare: one registry of comparable fields, and the keys
made of them (`phone`, `email`, `phone+zip`, `email+last_name`, ...).

A key is one or more comparable fields joined by `+`; an earlier lead matches it when every
field of it is equal. A new comparable field is one `COMPARABLES` entry: how the cleaned post's
value is compared, and the expression the stored lead is compared by, which must be what an
index of `leads` is built on when the field may lead a key (`indexed`). Every key needs one
indexed field (phone or email), so the lookup at 1,000,000 leads reads a handful of rows, not the
webhook's whole history.

This is the duplicate check of the post against earlier leads (leads.intake_duplicates), not a
buyer's duplicate window at sale (distribution.duplicates): a different rule with its own home.
"""
from collections.abc import Callable
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db.models import F
from django.db.models.functions import Lower, Substr


@dataclass(frozen=True)
class Comparable:
    name: str
    # The stored lead's value as compared (an expression on `leads`; the index's own for `indexed`).
    expression: Callable[[], object]
    # The cleaned post's value as compared ("" = the post has none: a key of it cannot match).
    value: Callable[[dict], str]
    column: str  # the lead's column a refusal names
    indexed: bool = False


def _text(column, *, lower=False):
    def value(values):
        text = str(values.get(column) or "").strip()
        return text.lower() if lower else text
    return value


COMPARABLES = {
    comparable.name: comparable
    for comparable in (
        # Stored as +1XXXXXXXXXX by clean_lead: compared as stored (index leads_phone_created_idx).
        Comparable("phone", lambda: F("phone"), _text("phone"), "phone", indexed=True),
        # Stored as posted: compared lower-cased (index leads_email_created_idx is on LOWER(email)).
        Comparable("email", lambda: Lower("email"), _text("email", lower=True), "email", indexed=True),
        # ZIP+4 and the 5-digit ZIP are the same place.
        Comparable("zip", lambda: Substr("zip_code", 1, 5), lambda values: _text("zip_code")(values)[:5], "zip_code"),
        Comparable("last_name", lambda: Lower("last_name"), _text("last_name", lower=True), "last_name"),
        Comparable("first_name", lambda: Lower("first_name"), _text("first_name", lower=True), "first_name"),
    )
}


def key_fields(key: str) -> list[str]:
    return key.split("+")


def keys_parse(text: str) -> list[str]:
    """A rule's keys as ops type them ("phone, email+last_name"), normalised, or ValidationError
    naming what is wrong with each."""
    keys, problems = [], []
    for raw in str(text or "").split(","):
        key = "+".join(part.strip().lower() for part in raw.split("+"))
        if not key.strip("+"):
            continue
        names = key_fields(key)
        unknown = [name for name in names if name not in COMPARABLES]
        if unknown:
            problems.append(f"'{key}': {', '.join(unknown)} is not a comparable field "
                            f"(one of: {', '.join(COMPARABLES)}).")
        elif len(set(names)) != len(names):
            problems.append(f"'{key}' names a field twice.")
        elif not any(COMPARABLES[name].indexed for name in names):
            indexed = " or ".join(name for name, c in COMPARABLES.items() if c.indexed)
            problems.append(f"'{key}' needs {indexed}: a duplicate is looked up by an indexed field.")
        elif key not in keys:
            keys.append(key)
    if problems:
        raise ValidationError(problems)
    if not keys:
        raise ValidationError("Name at least one key to compare, e.g. phone, email, phone+zip, email+last_name.")
    return keys
