"""ZIP entries, the one parser behind offers, appointment routing rules and forwarding rules.

An entry is an exact ZIP `90210`, a range `90210-90299`, a 3-digit prefix `902*` or `*` (any ZIP);
a rule's empty list also means any ZIP. The distribution engine's indexed rows
(distribution.models.OfferWhere) and the external-copy check of workspaces.forwarding read
entries only through `parse_zip_entry`, and the ZIP being matched only through `zip5`.
"""
import re

from django.db import models

ANY = "*"  # the entry, and the derived-row value, meaning "any ZIP" / "any product"
_EXACT = re.compile(r"^\d{5}$")
_RANGE = re.compile(r"^(\d{5})\s*-\s*(\d{5})$")
_PREFIX = re.compile(r"^(\d{3})\*$")
_ZIP = re.compile(r"^(\d{5})(-?\d{4})?$")


class ZipEntryKind(models.IntegerChoices):
    """How a ZIP entry matches; the value is its rank when rules tie (lower = more specific)."""

    EXACT = 0, "exact ZIP"
    RANGE = 1, "ZIP range"
    PREFIX = 2, "3-digit prefix"
    ANY = 3, "any ZIP"


def parse_zip_entry(entry: str):
    """`"90210"`, `"90210-90299"`, `"902*"` or `"*"` → (kind, low, high); ValueError saying what is wrong."""
    text = str(entry).strip()
    if text == ANY:
        return ZipEntryKind.ANY, "00000", "99999"
    if _EXACT.match(text):
        return ZipEntryKind.EXACT, text, text
    if match := _RANGE.match(text):
        low, high = match.groups()
        if low > high:
            raise ValueError(f"'{text}': a range goes from the lower ZIP to the higher one.")
        return ZipEntryKind.RANGE, low, high
    if match := _PREFIX.match(text):
        return ZipEntryKind.PREFIX, f"{match.group(1)}00", f"{match.group(1)}99"
    raise ValueError(f"'{text}' is not a ZIP entry: use 90210, a range 90210-90299, a prefix 902* or * for any.")


def zip5(zip_code) -> str | None:
    """The 5-digit ZIP of a lead's or appointment's `zip_code` (5 digits or ZIP+4), or None."""
    match = _ZIP.match(str(zip_code or "").strip())
    return match.group(1) if match else None
