"""Offer filters on lead columns: `<column> <op> <value>`, typed by the column.

A value is parsed once with the column's type (whole number, money, true/false, text compared
case-insensitively), so `monthly_electric_bill gte 150` compares numbers and a typo such as
`roof_age gte old` is refused when the offer is saved, naming the column.
"""
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from django.db import models

from leads.models import Lead

from .models import FILTERABLE_COLUMNS, FilterOp

_TRUE, _FALSE = {"true", "yes", "1", "y", "on"}, {"false", "no", "0", "n", "off"}


def _parser(column):
    field = Lead._meta.get_field(column)
    if isinstance(field, models.BooleanField):
        def parse(text):
            word = str(text).strip().lower()
            if word in _TRUE or word in _FALSE:
                return word in _TRUE
            raise ValueError(f"{column} is true/false, not '{text}'.")
    elif isinstance(field, (models.IntegerField, models.DecimalField)):
        def parse(text):
            try:
                return Decimal(str(text).strip().replace(",", "").removeprefix("$"))
            except InvalidOperation:
                raise ValueError(f"{column} is a number, not '{text}'.") from None
    else:
        def parse(text):
            return str(text).strip().casefold()
    return parse


_NUMERIC = frozenset(
    f.name for f in Lead._meta.concrete_fields if isinstance(f, (models.IntegerField, models.DecimalField))
)


def _lead_value(lead, column):
    value = getattr(lead, column, None)
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        return value
    if column in _NUMERIC:
        return Decimal(str(value))
    return str(value).strip().casefold()


def _one(column, op, items, parse):
    if len(items) != 1:
        raise ValueError(f"{column} {op} takes one value.")
    return parse(items[0])


def _one_number(column, op, items, parse):
    wanted = _one(column, op, items, parse)
    if not isinstance(wanted, Decimal):
        raise ValueError(f"{column} is not a number: {op} compares numbers only.")
    return wanted


def _several(column, op, items, parse):
    if not items:
        raise ValueError(f"{column} {op} takes a comma-separated list of values.")
    return {parse(item) for item in items}


def _low_high(column, op, items, parse):
    if len(items) != 2:
        raise ValueError(f"{column} between takes two values: low, high.")
    low, high = parse(items[0]), parse(items[1])
    if not isinstance(low, Decimal):
        raise ValueError(f"{column} is not a number: between compares numbers only.")
    if low > high:
        raise ValueError(f"{column} between: the low value comes first.")
    return low, high


def _nothing(column, op, items, parse):
    return None


@dataclass(frozen=True)
class Operator:
    """A filter operator: `wanted` validates the filter's value and parses it (ValueError saying
    what is wrong), `holds(got, wanted)` tests the lead's value (None when the lead has none)."""

    wanted: Callable
    holds: Callable


OPERATORS = {
    FilterOp.EQ: Operator(_one, lambda got, wanted: got is not None and got == wanted),
    FilterOp.IN: Operator(_several, lambda got, wanted: got in wanted),
    FilterOp.NOT_IN: Operator(_several, lambda got, wanted: got not in wanted),
    FilterOp.GTE: Operator(_one_number, lambda got, wanted: got is not None and got >= wanted),
    FilterOp.LTE: Operator(_one_number, lambda got, wanted: got is not None and got <= wanted),
    FilterOp.BETWEEN: Operator(_low_high, lambda got, wanted: got is not None and wanted[0] <= got <= wanted[1]),
    FilterOp.PRESENT: Operator(_nothing, lambda got, _wanted: got is not None),
    FilterOp.ABSENT: Operator(_nothing, lambda got, _wanted: got is None),
}


def filter_compile(column: str, op: str, value: str):
    """A predicate `lead -> bool`, or ValueError saying what is wrong with the filter."""
    if column not in FILTERABLE_COLUMNS:
        raise ValueError(f"'{column}' is not a lead column an offer can filter on.")
    if op not in OPERATORS:
        raise ValueError(f"'{op}' is not a filter operator; use one of: {', '.join(FilterOp.values)}.")
    operator = OPERATORS[op]
    items = [item for item in (part.strip() for part in str(value).strip().strip("[]").split(",")) if item]
    wanted = operator.wanted(column, op, items, _parser(column))
    return lambda lead: operator.holds(_lead_value(lead, column), wanted)
