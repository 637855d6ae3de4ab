"""Offer filters on lead columns: `<column> <op> <value>`, typed by the column.

A value is parsed once with the column's type (whole number, money, true/false, text compared
case-insensitively), so `monthly_electric_bill gte 150` compares numbers and a typo such as
`roof_age gte old` is refused when the offer is saved, naming the column.
"""
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


def filter_compile(column: str, op: str, value: str):
    """A predicate `lead -> bool`, or ValueError saying what is wrong with the filter."""
    if column not in FILTERABLE_COLUMNS:
        raise ValueError(f"'{column}' is not a lead column an offer can filter on.")
    if op == FilterOp.PRESENT:
        return lambda lead: _lead_value(lead, column) is not None
    if op == FilterOp.ABSENT:
        return lambda lead: _lead_value(lead, column) is None
    parse = _parser(column)
    items = [item for item in (part.strip() for part in str(value).strip().strip("[]").split(",")) if item]
    if op in (FilterOp.EQ, FilterOp.GTE, FilterOp.LTE):
        if len(items) != 1:
            raise ValueError(f"{column} {op} takes one value.")
        wanted = parse(items[0])
        if op != FilterOp.EQ and not isinstance(wanted, Decimal):
            raise ValueError(f"{column} is not a number: {op} compares numbers only.")
        compare = {
            FilterOp.EQ: lambda got: got == wanted,
            FilterOp.GTE: lambda got: got >= wanted,
            FilterOp.LTE: lambda got: got <= wanted,
        }[op]
        return lambda lead: (got := _lead_value(lead, column)) is not None and compare(got)
    if op in (FilterOp.IN, FilterOp.NOT_IN):
        if not items:
            raise ValueError(f"{column} {op} takes a comma-separated list of values.")
        wanted = {parse(item) for item in items}
        if op == FilterOp.IN:
            return lambda lead: _lead_value(lead, column) in wanted
        return lambda lead: _lead_value(lead, column) not in wanted
    if op == FilterOp.BETWEEN:
        if len(items) != 2:
            raise ValueError(f"{column} between takes two values: low, high.")
        low, high = parse(items[0]), parse(items[1])
        if not isinstance(low, Decimal):
            raise ValueError(f"{column} is not a number: between compares numbers only.")
        if low > high:
            raise ValueError(f"{column} between: the low value comes first.")
        return lambda lead: (got := _lead_value(lead, column)) is not None and low <= got <= high
    raise ValueError(f"'{op}' is not a filter operator; use one of: {', '.join(FilterOp.values)}.")
