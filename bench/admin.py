#!/usr/bin/env python
"""Benchmark of the admin changelists at 1,000 and at 1,000,000 leads (a script, not a test).

    .venv/bin/python bench/admin.py [--small 1000] [--large 1000000] [--runs 5]

Creates a throwaway PostgreSQL database on BENCH_PG_URL (default
postgres://postgres@127.0.0.1:5432/postgres), migrates it, fills contacts and leads with bulk
`INSERT … SELECT generate_series` (one contact per ten leads, half of the leads assigned to a
workspace), ANALYZEs, and times the lead and contact changelists as a logged-in superuser (median
of --runs requests after a warm-up) with their SQL query count. Prints both sizes and the ratios
against the targets: time ratio <= 2, same query count. Drops the database at the end.
"""
import argparse
import os
import re
import statistics
import sys
import time
import uuid
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

PAGES = {"leads": "/admin/leads/lead/", "contacts": "/admin/contacts/contact/"}
TIME_RATIO_TARGET = 2.0


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--small", type=int, default=1_000, help="leads in the first measurement")
    parser.add_argument("--large", type=int, default=1_000_000, help="leads in the second measurement")
    parser.add_argument("--runs", type=int, default=5, help="timed requests per page and size")
    return parser.parse_args()


def admin_sql(url, sql):
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(sql)


def set_up_django(database_url):
    os.environ["DATABASE_URL"] = database_url
    os.environ["DJANGO_SETTINGS_MODULE"] = "leadhub.settings"
    os.environ["DEBUG"] = "0"  # DEBUG keeps every query in memory: not what production runs
    import django

    django.setup()


def column_defaults(model, overrides):
    """SQL for every NOT NULL column of `model` that `overrides` does not give: a value of its type."""
    from django.db import models

    values = {}
    for field in model._meta.concrete_fields:
        if field.primary_key or field.column in overrides or field.null:
            continue
        if isinstance(field, (models.DateTimeField, models.DateField)):
            values[field.column] = "now()"
        elif isinstance(field, models.BooleanField):
            values[field.column] = "false"
        elif isinstance(field, models.JSONField):
            values[field.column] = "'{}'::jsonb"
        elif isinstance(field, (models.IntegerField, models.DecimalField, models.FloatField)):
            values[field.column] = str(field.default if field.has_default() else 0)
        else:
            values[field.column] = "''"
    return {**values, **overrides}


def insert_series(cursor, model, start, stop, overrides):
    """Rows start..stop-1 of `model` in one INSERT … SELECT; `g` is the series number in overrides."""
    columns = column_defaults(model, overrides)
    cursor.execute(
        f"INSERT INTO {model._meta.db_table} ({', '.join(columns)}) "
        f"SELECT {', '.join(columns.values())} FROM generate_series({start}, {stop - 1}) AS g"
    )


def grow_to(leads, already):
    """Add contacts and leads until there are `leads` leads (ids are the series numbers)."""
    from django.db import connection

    from contacts.models import Contact
    from leads.models import Lead

    with connection.cursor() as cursor:
        insert_series(cursor, Contact, already // 10 + 1, leads // 10 + 1, {
            "id": "g", "webhook_id": "'bench'", "phone": "'+1415' || lpad(g::text, 7, '0')",
            "first_name": "'Ada'", "last_name": "'Bench' || g", "email": "'ada' || g || '@example.com'",
            "conversion_status": "'pending'",
        })
        insert_series(cursor, Lead, already + 1, leads + 1, {
            "id": "g", "contact_id": "(g - 1) / 10 + 1", "webhook_id": "'bench'",
            "lead_type": "(ARRAY['solar','hvac','insurance'])[g % 3 + 1]",
            "first_name": "'Ada'", "last_name": "'Bench' || g", "email": "'ada' || g || '@example.com'",
            "phone": "'+1415' || lpad(((g - 1) / 10 + 1)::text, 7, '0')", "status": "'new'", "priority": "1",
            "workspace_id": "CASE WHEN g % 2 = 0 THEN 'bench-ws-' || (g % 5) END",
            "workspace_status": "CASE WHEN g % 2 = 0 THEN 'assigned' ELSE '' END",
        })
        for table in ("contacts", "leads"):
            cursor.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))")
            cursor.execute(f"ANALYZE {table}")


def measure(client, runs):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    results = {}
    for name, url in PAGES.items():
        assert client.get(url).status_code == 200  # warm-up
        timings = []
        for _ in range(runs):
            with CaptureQueriesContext(connection) as queries:
                started = time.perf_counter()
                response = client.get(url)
                timings.append(time.perf_counter() - started)
            assert response.status_code == 200, response.status_code
        shown = re.search(r'class="paginator">.*?([\d,]+) \w+\s*</p>', response.content.decode(), re.S)
        results[name] = (statistics.median(timings), len(queries), int(shown.group(1).replace(",", "")))
    return results


def main():
    args = parse_args()
    admin_url = os.environ.get("BENCH_PG_URL", "postgres://postgres@127.0.0.1:5432/postgres")
    name = f"leadhub_bench_admin_{uuid.uuid4().hex[:8]}"
    admin_sql(admin_url, f'CREATE DATABASE "{name}"')
    try:
        set_up_django(urlunsplit(urlsplit(admin_url)._replace(path=f"/{name}")))
        from django.contrib.auth import get_user_model
        from django.core.management import call_command
        from django.test import Client

        from workspaces.models import Workspace

        call_command("migrate", verbosity=0)
        for n in range(5):
            Workspace.objects.create(id=f"bench-ws-{n}", name=f"Bench workspace {n}")
        client = Client()
        client.force_login(get_user_model().objects.create_superuser("bench", password="x"))

        sizes = {}
        grow_to(args.small, 0)
        sizes[args.small] = measure(client, args.runs)
        started = time.perf_counter()
        grow_to(args.large, args.small)
        print(f"(inserted {args.large - args.small:,} leads in {time.perf_counter() - started:.0f} s)")
        sizes[args.large] = measure(client, args.runs)

        small, large = sizes[args.small], sizes[args.large]
        ok = True
        print(f"{'changelist':<10} {'leads':>10} {'shown count':>12} {'median ms':>10} {'queries':>8}")
        for page in PAGES:
            for size, results in sizes.items():
                seconds, queries, count = results[page]
                print(f"{page:<10} {size:>10,} {count:>12,} {seconds * 1000:>10.1f} {queries:>8}")
            ratio = large[page][0] / small[page][0]
            same_queries = large[page][1] == small[page][1]
            ok &= ratio <= TIME_RATIO_TARGET and same_queries
            print(
                f"{page:<10} time ratio {ratio:.2f} (target <= {TIME_RATIO_TARGET}), "
                f"queries {small[page][1]} -> {large[page][1]} ({'same' if same_queries else 'DIFFERENT'})"
            )
        print("targets met" if ok else "TARGETS MISSED")
        return 0 if ok else 1
    finally:
        from django.db import connections

        connections.close_all()
        admin_sql(admin_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


if __name__ == "__main__":
    sys.exit(main())
