"""Shared model building blocks: money, timestamps, database-enforced choices, and the changed
fields an edit's audit event records."""
import json
from decimal import Decimal

from django.core.serializers.json import DjangoJSONEncoder
from django.db import models

# Every amount of money in leadhub, as the seed stores it: numeric(14, 2), to the cent.
MONEY = {"max_digits": 14, "decimal_places": 2}
# The largest amount any one money input may carry (after currency conversion too).
MONEY_MAX = Decimal("10000000.00")
# Stored sums of amounts (lifetime value, revenue totals): numeric(20,2), so no count of inputs up
# to MONEY_MAX a database can hold overflows them, and no tenant's data can make another
# tenant's write fail.
MONEY_TOTAL = {"max_digits": 20, "decimal_places": 2}


class CreatedAtModel(models.Model):
    """Append-only rows (events, history, logs) only know when they were written."""

    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        abstract = True


class TimeStampedModel(CreatedAtModel):
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True


def choices_constraint(table, field, choices, *, allow_blank=False):
    """A CheckConstraint mirroring a choices field, so PostgreSQL refuses bad values too."""
    values = [value for value, _label in choices]
    condition = models.Q(**{f"{field}__in": values})
    if allow_blank:
        condition |= models.Q(**{field: ""})
    return models.CheckConstraint(condition=condition, name=f"{table}_{field}_valid")


def field_changes_apply(instance, data: dict) -> dict:
    """Set each of `data`'s fields on `instance`; returns {field: [old, new]} for those whose
    value changed, JSON-ready (dates, decimals as text) for the edit's `updated` event."""
    changes = {}
    for field, value in data.items():
        old = getattr(instance, field)
        if old != value:
            changes[field] = json.loads(json.dumps([old, value], cls=DjangoJSONEncoder))
            setattr(instance, field, value)
    return changes
