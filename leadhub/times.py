"""Times at the calendar's edges (years 1 and 9999): sums and zones that stay inside it.

A time stored before a door checked it (or written by a path that does not) may sit at either
edge. Every sum on it (an end time, a window) must still give a time, and every page must still
show it in the ops zone, rather than end in an OverflowError.
"""
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from django.core.exceptions import ValidationError


# The instants whose local time is inside the calendar in every zone (no offset reaches a day).
ZONE_SAFE_RANGE = (datetime.min.replace(tzinfo=UTC) + timedelta(days=1), datetime.max.replace(tzinfo=UTC) - timedelta(days=1))


def shifted(moment: datetime, delta: timedelta) -> datetime:
    """`moment + delta`, held at the calendar's first or last instant instead of leaving it."""
    try:
        return moment + delta
    except OverflowError:
        return (datetime.max if delta > timedelta(0) else datetime.min).replace(tzinfo=moment.tzinfo)


class CalendarSafeZone(ZoneInfo):
    """A zone whose local time never leaves the calendar: an instant its local time would put in
    year 0 or 10000 (0001-01-01 00:00 UTC in America/Los_Angeles, 9999-12-31 23:00 UTC in
    Pacific/Kiritimati) is given in UTC instead, which its zone name then says, so every template,
    widget and list column showing it renders. Every other instant is the zone's own local time.
    `datetime.astimezone` takes what `fromutc` returns, so this one method covers all of them."""

    def fromutc(self, dt):
        try:
            return super().fromutc(dt)
        except OverflowError:
            return dt.replace(tzinfo=UTC)


def time_in_calendar(value):
    """A validator for a time typed in a local zone (the admin's forms): one whose UTC time is off
    the calendar (0001-01-01 00:00 in a zone ahead of UTC, 9999-12-31 23:00 behind it) cannot be
    stored. SQLite's driver cannot convert it; PostgreSQL would keep it (as 1 BC or year 10000),
    and then no driver reads the row back."""
    if value is not None:
        try:
            value.astimezone(UTC)
        except OverflowError:
            raise ValidationError("This time is outside the supported date range (years 1 to 9999 in UTC).",
                                  code="out_of_range") from None
