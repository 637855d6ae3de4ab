"""The calling rules as one in-memory table per process: read in one query pair when first needed,
dropped when ops save or delete a rule here, and read again after RULES_TTL_SECONDS so an edit in
another process (the admin's) reaches workers within a minute. Deciding never queries per rule."""
import time
from collections import defaultdict
from dataclasses import dataclass, field

from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from .models import CallFrequencyLimit, CallingWindow, Day

RULES_TTL_SECONDS = 60


@dataclass
class Rules:
    weekly: dict = field(default_factory=lambda: defaultdict(list))  # (state, day) → rows, newest first
    holidays: dict = field(default_factory=lambda: defaultdict(list))  # (state, date) → rows
    limits: dict = field(default_factory=lambda: defaultdict(list))  # state → rows, newest first


_cached: dict = {}


def in_force(row, day) -> bool:
    return row.effective_from <= day and (row.effective_until is None or day <= row.effective_until)


def rules() -> Rules:
    """The rules, from this process's copy while it is fresh."""
    now = time.monotonic()
    if _cached.get("until", 0) > now:
        return _cached["rules"]
    table = Rules()
    for row in CallingWindow.objects.order_by("-effective_from", "-id"):
        if row.day == Day.HOLIDAY:
            table.holidays[(row.state, row.holiday)].append(row)
        else:
            table.weekly[(row.state, row.day)].append(row)
    for row in CallFrequencyLimit.objects.order_by("-effective_from", "-id"):
        table.limits[row.state].append(row)
    _cached.update(rules=table, until=now + RULES_TTL_SECONDS)
    return table


@receiver([post_save, post_delete], sender=CallingWindow)
@receiver([post_save, post_delete], sender=CallFrequencyLimit)
def rules_forget(**_kwargs):
    _cached.clear()
