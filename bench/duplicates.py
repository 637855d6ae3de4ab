#!/usr/bin/env python
"""Benchmark of the duplicate rules' check at intake at 10,000 and at 1,000,000 leads (a script,
not a test).

    .venv/bin/python bench/duplicates.py [--small 10000] [--large 1000000] [--checks 400]

Creates a throwaway PostgreSQL database on BENCH_PG_URL (default
postgres://postgres@127.0.0.1:5432/postgres), migrates it, fills leads with the shared loader
(bench/loader.py: a year of leads on webhook `bench`, ten per phone), and sets three global
duplicate rules: `any` of `phone, email` in this webhook over 30 days, `email+last_name` everywhere over 365
days, and `all` of `phone, email` in this lead type over 7 days. Then times
`leads.intake_duplicates.duplicate_find` as ingest calls it (in a transaction, locks included)
for --checks posts: half of them duplicates of a loaded lead (the first rule matches), half new
people (every rule looks and finds nothing: the slowest case). Prints median and p99 per kind
and size, the SQL statements per check, the plans of the first two rules' lookups at the large size,
and the ratio against the target: large ≤ 1.5 × small.
"""
import argparse
import random
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.loader import LEADS_PER_CONTACT, WEBHOOK_ID, email_of, leads_grow, phone_of, throwaway_database  # noqa: E402

TIME_RATIO_TARGET = 1.5
LEAD_COLUMNS = {"workspace_id": "NULL", "workspace_status": "''", "zip_code": "'94105'"}


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--small", type=int, default=10_000, help="leads in the first measurement")
    parser.add_argument("--large", type=int, default=1_000_000, help="leads in the second measurement")
    parser.add_argument("--checks", type=int, default=400, help="timed checks per size (half duplicates)")
    return parser.parse_args()


def posts(rng, leads, count):
    """(kind, cleaned values): duplicates of loaded leads, and new people."""
    made = []
    for n in range(count):
        if n % 2 == 0:
            lead = rng.randint(1, leads)
            made.append(("duplicate", {"phone": phone_of((lead - 1) // LEADS_PER_CONTACT + 1), "email": email_of(lead),
                                       "last_name": f"Bench{lead}", "lead_type": "solar"}))
        else:
            fresh = 9_000_000 + rng.randint(0, 999_999)
            made.append(("new", {"phone": phone_of(fresh), "email": f"new{fresh}@example.com", "last_name": "New",
                                 "lead_type": "solar"}))
    return made


def measure(webhook, leads, count, rng):
    from django.db import connection, transaction
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    from leads.intake_duplicates import duplicate_find

    timings, statements = {"duplicate": [], "new": []}, {}
    for kind, values in posts(rng, leads, count):
        with CaptureQueriesContext(connection) as queries:
            started = time.perf_counter()
            with transaction.atomic():
                found = duplicate_find(webhook=webhook, values=values, now=timezone.now())
            timings[kind].append(time.perf_counter() - started)
        assert (found is not None) == (kind == "duplicate"), (kind, values)
        statements[kind] = len(queries) - 2  # without the transaction's BEGIN and COMMIT
    return timings, statements


def percentile(values, fraction):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * fraction))]


def lookup_plans(webhook):
    from django.db import connection
    from django.utils import timezone

    from leads.intake_duplicates import _keys_compared, duplicate_lookup, duplicate_rules_for

    values = {"phone": phone_of(42), "email": email_of(420), "last_name": "Bench420", "lead_type": "solar"}
    plans = []
    for rule in duplicate_rules_for(webhook)[:2]:  # phone or email in this webhook; email+last_name everywhere
        sql, params = duplicate_lookup(rule, _keys_compared(rule, values), webhook=webhook, values=values,
                                       now=timezone.now()).query.sql_with_params()
        with connection.cursor() as cursor:
            cursor.execute(f"EXPLAIN ANALYZE {sql}", params)
            plans.append(f"  rule {rule.match} of {rule.keys} ({rule.scope}):\n"
                         + "\n".join(f"    {row[0]}" for row in cursor.fetchall()))
    return "\n".join(plans)


def main():
    args = parse_args()
    rng = random.Random(30)
    with throwaway_database("duplicates"):
        from leads.models import DuplicateRule
        from providers.models import WebhookConfig

        webhook = WebhookConfig.objects.create(webhook_id=WEBHOOK_ID, name="Bench", lead_type="solar")
        for keys, match, scope, days in (("phone, email", "any", "webhook", 30), ("email+last_name", "any", "all", 365),
                                         ("phone, email", "all", "lead_type", 7)):
            DuplicateRule.objects.create(keys=keys, match=match, scope=scope, window_seconds=days * 86400,
                                         action="hold")
        results = {}
        leads_grow(args.small, lead_columns=LEAD_COLUMNS)
        results[args.small] = measure(webhook, args.small, args.checks, rng)
        started = time.perf_counter()
        leads_grow(args.large, args.small, lead_columns=LEAD_COLUMNS)
        print(f"(loaded {args.large - args.small:,} more leads in {time.perf_counter() - started:.0f} s)")
        results[args.large] = measure(webhook, args.large, args.checks, rng)

        print(f"{'leads':>10} {'post':>10} {'median ms':>10} {'p99 ms':>8} {'statements':>11}")
        for size, (timings, statements) in results.items():
            for kind, values in timings.items():
                print(f"{size:>10,} {kind:>10} {statistics.median(values) * 1000:>10.2f} "
                      f"{percentile(values, 0.99) * 1000:>8.2f} {statements[kind]:>11}")
        ok = True
        for kind in ("duplicate", "new"):
            ratio = (statistics.median(results[args.large][0][kind])
                     / statistics.median(results[args.small][0][kind]))
            ok &= ratio <= TIME_RATIO_TARGET
            print(f"{kind:>10}: median ratio {ratio:.2f} (target <= {TIME_RATIO_TARGET})")
        print(f"plans at {args.large:,} leads:\n{lookup_plans(webhook)}")
        print("targets met" if ok else "TARGETS MISSED")
        return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
