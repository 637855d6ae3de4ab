"""The few SQL fragments that differ between PostgreSQL and SQLite, so each analytics query is
written once and runs set-based on both backends (the embedded mode uses the same code)."""
from datetime import date, datetime, time, timedelta, UTC

from django.db import connection

UTC = UTC


def is_postgres():
    return connection.vendor == "postgresql"


def utc_day(column):
    """The UTC calendar date of a timestamp column (cohorts are cut at UTC midnight)."""
    if is_postgres():
        return f"(({column}) AT TIME ZONE 'UTC')::date"
    return f"date({column})"


def seconds_between(start, end):
    if is_postgres():
        return f"EXTRACT(EPOCH FROM (({end}) - ({start})))"
    return f"((julianday({end}) - julianday({start})) * 86400.0)"


def ts(value: datetime):
    """A timestamp parameter as the backend stores it (SQLite compares naive UTC text)."""
    return connection.ops.adapt_datetimefield_value(value)


def day_bounds(date_from: date, date_to: date):
    """[from 00:00 UTC, day after `to` 00:00 UTC) as backend parameters: inclusive dates."""
    start = datetime.combine(date_from, time.min, tzinfo=UTC)
    end = datetime.combine(date_to + timedelta(days=1), time.min, tzinfo=UTC)
    return ts(start), ts(end)


def as_date(value):
    """SQLite returns `date(...)` as text; PostgreSQL as a date."""
    return value if isinstance(value, date) else date.fromisoformat(value)


def fetch_dicts(sql, params):
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        names = [col[0] for col in cursor.description]
        return [dict(zip(names, row, strict=False)) for row in cursor.fetchall()]


def fetch_rows(sql, params):
    """All rows as tuples (fetch_dicts without the names, for the big answers)."""
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()
