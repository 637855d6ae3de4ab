"""The per-buyer duplicate window: a buyer does not buy the same phone again within its offer's
`duplicate_days`.

One row per (buyer, phone) says when the buyer last bought a lead with that phone
(`models.BuyerPhone`). The engine reads it to decide (`engine.duplicates_mark`), and a sale
claims it in the distribution transaction with `duplicates_claim`'s conditional upsert, beside
caps' claim: concurrent sales of one phone to one buyer queue on the row lock and the database
refuses the one inside the window, which a read alone cannot (racing posts each see none of the
others' uncommitted sales).
"""
from datetime import datetime, timedelta

from django.db import connection

from .models import BuyerPhone, Sale


def duplicates_claim(claims) -> set:
    """Take `claims` [(buyer id, phone, sold at, duplicate_days or None)] in one conditional upsert,
    rows in buyer order (so two sales never wait on each other crosswise); the ids of the buyers
    whose window refused (empty: every claim holds). A buyer's row moves to the sale's time only
    while its last sale is older than the window's start (`sold at` minus `duplicate_days`); with
    no window the start is the sale's time itself, so the row only ever moves forward and such a
    claim is never refused. No phone, no claim; no claim, no query."""
    rows = {}
    for workspace_id, phone, at, days in claims:
        if phone and (days or 0) >= (rows.get((workspace_id, phone), (None, None, 0))[2]):
            rows[workspace_id, phone] = (at, window_opens(at, days), days or 0)
    if not rows:
        return set()
    table = BuyerPhone._meta.db_table
    adapt = connection.ops.adapt_datetimefield_value
    values, starts, params, starts_params = [], [], [], []
    for (workspace_id, phone), (at, start, _days) in sorted(rows.items()):
        values.append("(%s, %s, %s)")
        params += [workspace_id, phone, adapt(at)]
        starts.append(f"(excluded.workspace_id = %s AND excluded.phone = %s AND {table}.last_sold_at < %s)")
        starts_params += [workspace_id, phone, adapt(start)]
    sql = (
        f"INSERT INTO {table} (workspace_id, phone, last_sold_at) VALUES {', '.join(values)} "
        f"ON CONFLICT (workspace_id, phone) DO UPDATE SET last_sold_at = excluded.last_sold_at "
        f"WHERE {' OR '.join(starts)} RETURNING workspace_id, phone"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params + starts_params)
        claimed = {tuple(row) for row in cursor.fetchall()}
    return {key[0] for key, (_at, _start, days) in rows.items() if days and key not in claimed}


def window_opens(at: datetime, days) -> datetime:
    """The start of a `days` duplicate window ending at `at` (none: `at` itself). A last sale at
    or after it is inside the window."""
    return at - timedelta(days=days or 0)


def buyer_phones_rebuild(*, phones) -> int:
    """The rows of `phones` again from the sales that remain (a person's purge deleted their leads
    and so their sales): the phone is kept only where a sale still holds it, and a window sees what
    a read of the remaining sales would. Returns the rows deleted."""
    phones = [phone for phone in dict.fromkeys(phones) if phone]
    if not phones:
        return 0
    deleted, _ = BuyerPhone.objects.filter(phone__in=phones).delete()
    marks = ", ".join(["%s"] * len(phones))
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {BuyerPhone._meta.db_table} (workspace_id, phone, last_sold_at) "
            f"SELECT workspace_id, phone, MAX(sold_at) FROM {Sale._meta.db_table} "
            f"WHERE phone IN ({marks}) AND appointment_id IS NULL "
            f"GROUP BY workspace_id, phone",
            phones,
        )
    return deleted
