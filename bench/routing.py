"""Routing benchmark: time per routing decision at 10 rules and at 5,000 rules × 1,000 ZIPs each.

    .venv/bin/python bench/routing.py [--rules 5000] [--zips 1000] [--decisions 2000] [--keep]

Creates BENCH_DATABASE (default leadhub_bench_routing) on BENCH_PG_URL's server (default
postgres://postgres@127.0.0.1:5432), migrates it, then:
1. saves 10 rules through `workspaces.services.routing_rule_save` and times `route()` for
   `--decisions` random (ZIP, product) pairs;
2. adds rules up to `--rules` (inserted in bulk; their derived rows come from the same
   `RoutingZipEntry.rows_for` the save path uses, loaded with COPY), ANALYZEs, and times the same
   decisions again;
and prints median and mean per decision and the ratio (target ≤ 2). Each rule lists `--zips`
entries: 90 % exact ZIPs, 8 % ranges 10-200 wide, 2 % 3-digit prefixes; 1-3 of six products;
priority 1-5. The database is dropped at the end unless --keep.
"""
import argparse
import os
import random
import statistics
import subprocess
import sys
import time
from pathlib import Path

import psycopg

ROOT = Path(__file__).resolve().parent.parent
SERVER = os.environ.get("BENCH_PG_URL", "postgres://postgres@127.0.0.1:5432")
DATABASE = os.environ.get("BENCH_DATABASE", "leadhub_bench_routing")
PRODUCTS = ["Solar", "HVAC", "Insurance", "Kitchen", "Bath", "Roofing"]
FEW_RULES = 10


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rules", type=int, default=5000)
    parser.add_argument("--zips", type=int, default=1000, help="ZIP entries per rule")
    parser.add_argument("--decisions", type=int, default=2000, help="timed routing decisions per phase")
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    return parser.parse_args()


def admin_sql(statement):
    with psycopg.connect(f"{SERVER}/postgres", autocommit=True) as conn:
        conn.execute(statement)


def rule_fields(rng, zips):
    entries = set()
    while len(entries) < zips:
        roll = rng.random()
        if roll < 0.02:
            entries.add(f"{rng.randint(5, 999):03d}*")
        elif roll < 0.10:
            low = rng.randint(501, 99700)
            entries.add(f"{low:05d}-{low + rng.randint(10, 200):05d}")
        else:
            entries.add(f"{rng.randint(501, 99950):05d}")
    return {
        "zip_codes": sorted(entries),
        "product_types": rng.sample(PRODUCTS, rng.randint(1, 3)),
        "priority": rng.randint(1, 5),
    }


def time_decisions(route, decisions):
    """(median s, mean s, median database s, matched): wall time of `route()` as a caller pays it,
    and the part spent in the database (the ORM's query building is a constant on top)."""
    from django.db import connection

    for zip_code, product in decisions[:200]:  # warm caches and connections, unmeasured
        route(zip_code=zip_code, product=product)
    seconds, database, matched = [], [], 0

    def timed_execute(execute, sql, params, many, context):
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            database[-1] += time.perf_counter() - started

    with connection.execute_wrapper(timed_execute):
        for zip_code, product in decisions:
            database.append(0.0)
            started = time.perf_counter()
            match = route(zip_code=zip_code, product=product)
            seconds.append(time.perf_counter() - started)
            matched += match is not None
    return statistics.median(seconds), statistics.fmean(seconds), statistics.median(database), matched


def copy_entries(connection, rules, RoutingZipEntry):
    columns = ["rule_id", "workspace_id", "bucket", "kind", "low", "high", "span", "entry", "priority",
               "rule_created_at", "is_active"]
    with connection.cursor() as cursor:
        raw = cursor.connection  # psycopg 3 connection under Django's wrapper
        with raw.cursor().copy(f"COPY {RoutingZipEntry._meta.db_table} ({', '.join(columns)}) FROM STDIN") as copy:
            for rule in rules:
                for row in RoutingZipEntry.rows_for(rule):
                    copy.write_row([row.rule_id, row.workspace_id, row.bucket, int(row.kind), row.low,
                                    row.high, row.span, row.entry, row.priority, row.rule_created_at, row.is_active])


def main():
    args = parse_args()
    admin_sql(f'DROP DATABASE IF EXISTS "{DATABASE}" WITH (FORCE)')
    admin_sql(f'CREATE DATABASE "{DATABASE}"')
    env = {**os.environ, "DATABASE_URL": f"{SERVER}/{DATABASE}"}
    env.pop("REDIS_URL", None)
    try:
        subprocess.run([sys.executable, "manage.py", "migrate", "--noinput", "-v", "0"], cwd=ROOT, env=env, check=True)
        os.environ.update(DATABASE_URL=env["DATABASE_URL"], DJANGO_SETTINGS_MODULE="leadhub.settings")
        os.environ.pop("REDIS_URL", None)
        sys.path.insert(0, str(ROOT))
        import django

        django.setup()
        from django.db import connection, transaction

        from workspaces.models import AppointmentRoutingRule, RoutingProductEntry, RoutingZipEntry, Workspace
        from workspaces.routing import route
        from workspaces.services import routing_rule_save

        rng = random.Random(20261125)
        workspaces = Workspace.objects.bulk_create(Workspace(id=f"bench-{n}", name=f"Bench {n}") for n in range(50))
        decisions = [(f"{rng.randint(501, 99950):05d}", rng.choice(PRODUCTS).lower()) for _ in range(args.decisions)]

        for n in range(FEW_RULES):
            routing_rule_save(workspace=workspaces[n % len(workspaces)], **rule_fields(rng, args.zips))
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
        few = time_decisions(route, decisions)

        started = time.perf_counter()
        with transaction.atomic():
            rules = AppointmentRoutingRule.objects.bulk_create(
                AppointmentRoutingRule(workspace=workspaces[n % len(workspaces)], **rule_fields(rng, args.zips))
                for n in range(FEW_RULES, args.rules)
            )
            copy_entries(connection, rules, RoutingZipEntry)
            RoutingProductEntry.objects.bulk_create(
                (RoutingProductEntry(rule=rule, product=product)
                 for rule in rules for product in sorted({p.casefold() for p in rule.product_types})),
                batch_size=5000,
            )
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
        load = time.perf_counter() - started
        many = time_decisions(route, decisions)

        total_rules = AppointmentRoutingRule.objects.count()
        total_entries = RoutingZipEntry.objects.count()
        print(f"decisions per phase: {len(decisions)} random (ZIP, product) pairs")
        print(f"{FEW_RULES:>6} rules: median {few[0] * 1e3:.3f} ms, mean {few[1] * 1e3:.3f} ms per decision, "
              f"of which database {few[2] * 1e3:.3f} ms (median); {few[3]} matched")
        print(f"{total_rules:>6} rules × {args.zips} ZIP entries ({total_entries:,} derived ZIP rows, loaded in "
              f"{load:.0f} s): median {many[0] * 1e3:.3f} ms, mean {many[1] * 1e3:.3f} ms, of which database "
              f"{many[2] * 1e3:.3f} ms; {many[3]} matched")
        ratio = many[0] / few[0]
        print(f"ratio (median per decision): {ratio:.2f} (target ≤ 2) {'OK' if ratio <= 2 else 'OVER TARGET'}; "
              f"mean {many[1] / few[1]:.2f}; database only {many[2] / few[2]:.2f}")
    finally:
        if not args.keep:
            from django.db import connections

            connections.close_all()
            admin_sql(f'DROP DATABASE IF EXISTS "{DATABASE}" WITH (FORCE)')


if __name__ == "__main__":
    main()
