"""Statement periods: ISO weeks (`2026-W49`, Monday to Monday) and calendar months (`2026-12`),
cut at local midnight in the party's own zone with zoneinfo, so a week or month that spans a
daylight-saving change is 167 or 169 hours (a month one hour more or less) long, and stored as
the UTC instants of its two midnights."""
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

WEEK, MONTH = "week", "month"
WEEK_LABEL = re.compile(r"^(\d{4})-W(\d{2})$")
MONTH_LABEL = re.compile(r"^(\d{4})-(\d{2})$")


@dataclass(frozen=True)
class Period:
    kind: str
    label: str
    first_day: date  # the local calendar day it starts on
    starts_at: datetime  # UTC
    ends_at: datetime  # UTC, exclusive

    def next(self, zone: str) -> "Period":
        """The period after this one, cut in `zone` (the party's zone now)."""
        if self.kind == WEEK:
            return period_starting(WEEK, self.first_day + timedelta(days=7), zone)
        year, month = divmod(self.first_day.year * 12 + self.first_day.month, 12)
        return period_starting(MONTH, date(year, month + 1, 1), zone)


def local_midnight(day: date, zone: str) -> datetime:
    """The UTC instant of `day`'s midnight in `zone`."""
    return datetime.combine(day, time(), tzinfo=ZoneInfo(zone)).astimezone(UTC)


def _label(kind: str, first_day: date) -> str:
    if kind == WEEK:
        year, week, _ = first_day.isocalendar()
        return f"{year}-W{week:02d}"
    return f"{first_day.year}-{first_day.month:02d}"


def period_starting(kind: str, first_day: date, zone: str) -> Period:
    if kind == WEEK:
        last_day = first_day + timedelta(days=7)
    else:
        year, month = divmod(first_day.year * 12 + first_day.month, 12)
        last_day = date(year, month + 1, 1)
    return Period(kind=kind, label=_label(kind, first_day), first_day=first_day,
                  starts_at=local_midnight(first_day, zone), ends_at=local_midnight(last_day, zone))


def period_of(kind: str, instant: datetime, zone: str) -> Period:
    """The period of `kind` that holds `instant`, in `zone`."""
    day = instant.astimezone(ZoneInfo(zone)).date()
    first_day = day - timedelta(days=day.weekday()) if kind == WEEK else day.replace(day=1)
    return period_starting(kind, first_day, zone)


def period_parse(label: str, zone: str) -> Period | None:
    """The period a label names (`2026-W49`, `2026-12`), or None when it names none."""
    try:
        if match := WEEK_LABEL.match(label):
            return period_starting(WEEK, date.fromisocalendar(int(match[1]), int(match[2]), 1), zone)
        if match := MONTH_LABEL.match(label):
            return period_starting(MONTH, date(int(match[1]), int(match[2]), 1), zone)
    except (ValueError, OverflowError):  # no such week or month, or off the calendar in UTC
        return None
    return None
