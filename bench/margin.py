#!/usr/bin/env python
"""Benchmark of the margin KPIs at 1,000,000 leads' worth of ledger entries (a script, not a test).

    .venv/bin/python bench/margin.py [--leads 1000000] [--days 30] [--runs 5]

Creates a throwaway PostgreSQL database on BENCH_PG_URL (bench/loader.py), migrates it, and books
the money of --leads leads straight into `ledger_entries` with set-based SQL (INSERT … SELECT
FROM generate_series, never the ORM): per lead a sale and a payout, one in 20 returned (a return
credit), one in 30 charged back, one in 100 an undelivered credit, one in 200 an adjustment on
each side, plus a deposit per 1,000 leads (not a sale); 40 sources, 200 webhooks, 500
sub-sources, 100 buyers, 5 lead types, spread over a year. Then, over the last --days days, times
each margin KPI (analytics.margin.margin_by per dimension, Python's shaping of the rows included,
and return_rates) against a plain GROUP BY over the ledger for the same range and the same groups
(`SELECT col, <UTC day>, SUM(amount) … GROUP BY 1, 2`: a margin row is per dimension and day;
the return rate's groups are sources alone), the median of --runs runs each, and prints both and
their ratio against the target: each KPI ≤ 3 × its plain GROUP BY.
"""
import argparse
import statistics
import sys
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.loader import SPREAD_SECONDS, throwaway_database  # noqa: E402

TIME_RATIO_TARGET = 3.0


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--leads", type=int, default=1_000_000, help="leads whose money is booked")
    parser.add_argument("--days", type=int, default=30, help="the KPIs' date range: the last N days")
    parser.add_argument("--runs", type=int, default=5, help="timed runs per query (the median is shown)")
    return parser.parse_args()


# Per entry kind: (which leads have one, side, amount SQL, reference prefix, its own dimensions).
DIMENSIONS = {
    "provider_id": "'src-' || (g % 40)", "webhook_id": "'wh-' || (g % 200)", "subsource": "'sub-' || (g % 500)",
    "lead_type": "(ARRAY['solar','hvac','insurance','roofing','windows'])[g % 5 + 1]", "lead_id": "g",
}
KINDS = [
    ("sale", "true", "buyer", "20 + (g % 30)", True),
    ("payout", "true", "source", "5 + (g % 7)", False),
    ("return_credit", "g % 20 = 0", "buyer", "-(20 + (g % 30))", True),
    ("chargeback", "g % 30 = 0", "source", "-(5 + (g % 7))", False),
    ("undelivered", "g % 100 = 1", "buyer", "-(20 + (g % 30))", True),
    ("adjustment", "g % 200 = 2", "buyer", "3", True),
    ("adjustment", "g % 200 = 3", "source", "-1", False),
]


def book(leads):
    """Every lead's entries, one INSERT … SELECT per kind, then ANALYZE."""
    from django.db import connection

    with connection.cursor() as cursor:
        for kind, which, side, amount, buyer in KINDS:
            columns = {
                "created_at": f"now() - ((g::bigint * 7919) % {SPREAD_SECONDS}) * interval '1 second'",
                "kind": f"'{kind}'", "side": f"'{side}'", "amount": amount, "currency": "'USD'",
                "workspace_id": "'buyer-' || (g % 100)" if buyer else "''", "offer_id": "NULL",
                "reference": f"'{kind}:{side}:' || g", "note": "''", **DIMENSIONS,
            }
            cursor.execute(
                f"INSERT INTO ledger_entries ({', '.join(columns)}) SELECT {', '.join(columns.values())} "
                f"FROM generate_series(1, {leads}) AS g WHERE {which}"
            )
        cursor.execute(
            "INSERT INTO ledger_entries (created_at, kind, side, amount, currency, workspace_id, provider_id, webhook_id, "
            "lead_type, subsource, reference, note) SELECT now() - (g % 365) * interval '1 day', 'deposit', 'buyer', "
            f"-1000, 'USD', 'buyer-' || (g % 100), '', '', '', '', '', 'wire' FROM generate_series(1, {leads // 1000}) AS g"
        )
        cursor.execute("ANALYZE ledger_entries")
        cursor.execute("SELECT count(*) FROM ledger_entries")
        return cursor.fetchone()[0]


def timed(work, runs):
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        work()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def plain_group_by(groups, date_from, date_to):
    from django.db import connection

    from analytics import sql

    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {', '.join(groups)}, SUM(amount) FROM ledger_entries WHERE created_at >= %s "
                       f"AND created_at < %s GROUP BY {', '.join(str(n) for n in range(1, len(groups) + 1))}",
                       list(sql.day_bounds(date_from, date_to)))
        return cursor.fetchall()


def main():
    args = parse_args()
    with throwaway_database("margin"):
        from django.db import connection
        from django.utils import timezone

        from analytics import sql
        from analytics.margin import MARGIN_DIMENSIONS, margin_by, return_rates

        started = time.perf_counter()
        entries = book(args.leads)
        print(f"booked {entries:,} ledger entries for {args.leads:,} leads in {time.perf_counter() - started:.0f} s "
              f"(PostgreSQL {connection.pg_version // 10000})")
        date_to = timezone.now().date()
        date_from = date_to - timedelta(days=args.days - 1)
        day = sql.utc_day("created_at")
        kpis = [(f"margin by {by}", [column, day] if column else [day],
                 lambda by=by: margin_by(by=by, date_from=date_from, date_to=date_to))
                for by, column in MARGIN_DIMENSIONS.items()]
        kpis.append(("return rate by source", ["provider_id"],
                     lambda: return_rates(date_from=date_from, date_to=date_to)))
        print(f"range {date_from} .. {date_to} ({args.days} days), median of {args.runs} runs")
        print(f"{'KPI':<24} {'rows':>7} {'KPI ms':>9} {'GROUP BY ms':>12} {'ratio':>6}")
        ok = True
        for name, groups, work in kpis:
            rows = len(work())  # warm: the first run reads the table into the cache
            plain_group_by(groups, date_from, date_to)
            kpi_s = timed(work, args.runs)
            plain_s = timed(lambda groups=groups: plain_group_by(groups, date_from, date_to), args.runs)
            ratio = kpi_s / plain_s
            ok &= ratio <= TIME_RATIO_TARGET
            print(f"{name:<24} {rows:>7,} {kpi_s * 1000:>9.1f} {plain_s * 1000:>12.1f} {ratio:>6.2f}")
        print(f"target: each KPI <= {TIME_RATIO_TARGET} x its plain GROUP BY: {'met' if ok else 'MISSED'}")
        return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
