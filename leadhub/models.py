"""Shared model building blocks: timestamps and database-enforced choices."""
from django.db import models

# Every amount of money in leadhub, as the seed stores it: numeric(14, 2), to the cent.
MONEY = {"max_digits": 14, "decimal_places": 2}


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
