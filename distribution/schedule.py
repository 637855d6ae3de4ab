"""Is an offer open now? Weekly windows and dates off are read in the buyer's IANA time zone, so
a window means the buyer's wall clock on both sides of a DST change."""
from datetime import datetime
from zoneinfo import ZoneInfo

from .models import DAYS


def schedule_open(*, schedule: dict, dates_off, time_zone: str, at: datetime) -> bool:
    """Open at `at` (aware)? An empty schedule is always open except on dates off; a window's
    start is inside it, its end is not."""
    local = at.astimezone(ZoneInfo(time_zone or "UTC"))
    if local.date().isoformat() in set(dates_off or ()):
        return False
    if not schedule:
        return True
    now = local.strftime("%H:%M")
    return any(start <= now < end for start, end in schedule.get(DAYS[local.weekday()], ()))
