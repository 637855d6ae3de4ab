"""Times at the calendar's edges (years 1 and 9999): sums that stay inside it.

A time stored before a door checked it (or written by hand) may sit at either edge, and every
sum on it (an end time, a window) must still give a time rather than an OverflowError.
"""
from datetime import datetime, timedelta


def shifted(moment: datetime, delta: timedelta) -> datetime:
    """`moment + delta`, held at the calendar's first or last instant instead of leaving it."""
    try:
        return moment + delta
    except OverflowError:
        return (datetime.max if delta > timedelta(0) else datetime.min).replace(tzinfo=moment.tzinfo)
