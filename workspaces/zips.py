"""ZIP entries, the one parser behind offers, appointment routing rules and forwarding rules,
and the one matcher they all follow: where (ZIP and state) and what (products).

An entry is an exact ZIP `90210`, a range `90210-90299`, a 3-digit prefix `902*` or `*` (any ZIP);
a rule's empty list also means any ZIP. The distribution engine's indexed rows
(distribution.models.OfferWhere) and the external-copy check of workspaces.forwarding read
entries only through `parse_zip_entry`, and the ZIP being matched only through `zip5`.

The where-rule (`place_matches`): ZIP entries and states narrow together. A lead is in a rule's
place when its ZIP is in one of the ZIP entries (any ZIP when there are none or one is `*`) AND
its state is one of the states (any state when there are none or one is `*`). A lead without a
ZIP is only in "any ZIP", one without a state only in "any state". Forwarding rules match in
Python with `place_matches`; offers match through their derived rows
(`distribution.models.where_values`), which spell the same rule out as index buckets.

The product rule (`products_match`): a rule's product entries (empty or `*` = any product) take a
lead when one of them equals one of the lead's products (`Lead.products`: its type, productid and
service type), compared as `product_key` spells them, trimmed and case-folded. Forwarding rules
test it in Python; offers store their entries as `product_key`s (distribution.models.OfferProduct)
and the engine asks for the lead's `product_keys` plus `*`, so both sides of either comparison are
spelled by the one function.
"""
import re
from functools import lru_cache

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


def is_any(values) -> bool:
    """An empty list, or one holding `*`, means "any" (ZIP, state or product)."""
    return not values or any(str(value).strip() == ANY for value in values)


def zip_matches(entries, zip_code: str) -> bool:
    if is_any(entries):
        return True
    five = zip5(zip_code)
    for entry in entries:
        _kind, low, high = parse_zip_entry(entry)
        if five and low <= five <= high:
            return True
    return False


def state_matches(states, state: str) -> bool:
    return is_any(states) or (state or "").strip().upper() in {str(s).strip().upper() for s in states}


def place_matches(*, zip_entries, states, zip_code: str, state: str) -> bool:
    """The where-rule: in one of the ZIP entries AND in one of the states."""
    return zip_matches(zip_entries, zip_code) and state_matches(states, state)


def product_key(value) -> str:
    """A product as every rule compares it: trimmed and case-folded ("" for none)."""
    return str(value if value is not None else "").strip().casefold()


def product_keys(values) -> set[str]:
    """The non-empty `product_key`s of one product (a string) or several."""
    values = [values] if isinstance(values, str) else list(values or ())
    return {key for value in values if (key := product_key(value))}


def products_match(entries, products) -> bool:
    """The product rule: any product (no entries, or `*`), or one of `products` is an entry."""
    return is_any(entries) or bool(product_keys(entries) & product_keys(products))


def rule_matches(*, product_entries, zip_entries, states, products, zip_code: str, state: str) -> bool:
    """The whole matcher: the lead's products, ZIP and state are all in the rule's."""
    return products_match(product_entries, products) and place_matches(
        zip_entries=zip_entries, states=states, zip_code=zip_code, state=state
    )


@lru_cache(maxsize=1)
def _states_by_zip() -> dict[str, str]:
    import zipcodes  # offline data shipped with the package: nothing is downloaded

    return {z["zip_code"]: z["state"] for z in zipcodes.list_all() if z["state"]}


def zip_state(zip_code) -> str:
    """The state (or territory) code of a ZIP or ZIP+4, "" when it is no known US ZIP. An
    in-memory lookup (the table loads once per process)."""
    five = zip5(zip_code)
    return _states_by_zip().get(five, "") if five else ""
