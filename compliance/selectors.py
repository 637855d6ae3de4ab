"""Reads of the calling rules for ops."""
from datetime import timedelta

from django.db.models import Max
from django.utils import timezone

from .models import CallingWindow, Day

HOLIDAY_HORIZON_DAYS = 60


def holiday_states_uncovered(*, today=None) -> list[tuple]:
    """[(state, its last holiday date or None)] of the states with holiday rules (any holiday row
    ever) that have none dated within the next HOLIDAY_HORIZON_DAYS days. Two queries."""
    today = today or timezone.localdate()
    horizon = today + timedelta(days=HOLIDAY_HORIZON_DAYS)
    rows = (CallingWindow.objects.filter(day=Day.HOLIDAY).values("state")
            .annotate(last=Max("holiday")).order_by("state"))
    covered = set(CallingWindow.objects.filter(day=Day.HOLIDAY, holiday__gte=today, holiday__lte=horizon)
                  .values_list("state", flat=True))
    return [(row["state"], row["last"]) for row in rows if row["state"] not in covered]
