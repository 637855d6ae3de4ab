"""Rollup and KPI benchmark on 1,000,000 leads in a throwaway PostgreSQL database.

    .venv/bin/python bench/rollup.py [--leads 1000000] [--keep]

Creates BENCH_DATABASE (default leadhub_bench_rollup) next to BENCH_PG_URL's server, migrates it
with `manage.py migrate`, fills it with bulk `INSERT … SELECT generate_series` (no Python loop per
row), then prints, in the same run:
- the scan floor: SELECT webhook_id, created_at::date, count(*) FROM leads GROUP BY 1, 2
- the full backfill of lead_analytics (empty table, then a re-run over existing rows) and one day
- each KPI over the whole year, cold (selector called directly, no analytics cache)
each beside a floor measured right before it (the machine may be shared) and their ratio
(target ≤ 3×). The database is dropped at the end unless --keep.
"""
import argparse
import os
import statistics
import subprocess
import sys
import time
from datetime import date, timedelta
from pathlib import Path

import psycopg

ROOT = Path(__file__).resolve().parent.parent
SERVER = os.environ.get("BENCH_PG_URL", "postgres://postgres@127.0.0.1:5432")
DATABASE = os.environ.get("BENCH_DATABASE", "leadhub_bench_rollup")
START = date(2025, 1, 1)
DAYS = 365
WEBHOOKS, WORKSPACES, PROVIDERS = 30, 20, 10
STATES = ["CA", "TX", "FL", "NY", "IL", "AZ", "NV", "CO", "WA", "GA"]


def admin_connection():
    return psycopg.connect(f"{SERVER}/postgres", autocommit=True)


def recreate_database():
    with admin_connection() as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{DATABASE}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{DATABASE}"')


def drop_database():
    with admin_connection() as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{DATABASE}" WITH (FORCE)')


def filler(cursor, table, overrides):
    """Column list and SELECT expressions for every NOT NULL column without a database default:
    Django keeps defaults in Python, so bulk SQL must name them all."""
    cursor.execute(
        """
        SELECT column_name, data_type FROM information_schema.columns
        WHERE table_name = %s AND is_nullable = 'NO' AND column_default IS NULL AND is_identity = 'NO'
        ORDER BY ordinal_position
        """,
        [table],
    )
    zero = {"text": "''", "character varying": "''", "boolean": "false", "jsonb": "'{}'::jsonb",
            "timestamp with time zone": "now()", "date": "current_date", "uuid": "gen_random_uuid()"}
    columns = dict(overrides)
    for name, data_type in cursor.fetchall():
        columns.setdefault(name, zero.get(data_type, "0"))
    return ", ".join(columns), ", ".join(columns.values())


def insert_series(cursor, table, count, overrides):
    # No parameters: SQL text is executed as is, so `%` is the modulo operator.
    names, values = filler(cursor, table, overrides)
    cursor.execute(f"INSERT INTO {table} ({names}) SELECT {values} FROM generate_series(1, {int(count)}) AS g")


def generate(leads):
    from django.db import connection

    contacts = max(1, int(leads * 0.8))
    span = DAYS * 86400
    with connection.cursor() as cursor:
        cursor.execute("SELECT setseed(0.42)")
        insert_series(cursor, "workspaces", WORKSPACES, {
            "id": "'ws-' || lpad(g::text, 2, '0')", "name": "'Workspace ' || g", "permissions": "'[]'::jsonb",
            "is_active": "true", "total_revenue": "0",
        })
        insert_series(cursor, "webhook_configs", WEBHOOKS, {
            "webhook_id": "'wh-' || g", "name": "'Webhook ' || g",
            "lead_type": "(ARRAY['solar','hvac','insurance'])[1 + g % 3]", "is_active": "true",
            "rate_limit": "100", "rate_window": "60", "payout_on": "'accepted'",
        })
        insert_series(cursor, "lead_source_providers", PROVIDERS, {
            "provider_id": "'prov-' || g", "provider_name": "'Provider ' || g", "is_active": "true", "rate_limit": "1000",
        })
        insert_series(cursor, "contacts", contacts, {
            "webhook_id": "'wh-' || (1 + g % 30)", "phone": "'+1415' || lpad(g::text, 7, '0')",
            "first_name": "'Ada'", "last_name": "'Lovelace'", "conversion_status": "'pending'",
            "lifetime_value": "0",
        })
        # Leads: contact c gets leads g ≡ c (mod contacts), so ~1.25 leads per contact.
        contact = f"(1 + (g - 1) % {contacts})"
        insert_series(cursor, "leads", leads, {
            "contact_id": contact,
            "webhook_id": f"'wh-' || (1 + {contact} % 30)",
            "provider_id": "'prov-' || (1 + g % 10)",  # as the lead's received event says below
            "lead_type": f"(ARRAY['solar','hvac','insurance'])[1 + (1 + {contact} % 30) % 3]",
            "first_name": "'Ada'", "last_name": "'Lovelace'", "email": "'ada@example.com'",
            "phone": f"'+1415' || lpad({contact}::text, 7, '0')",
            "state": "(ARRAY[" + ", ".join(f"'{state}'" for state in STATES) + f"])[1 + g % {len(STATES)}]",
            "zip_code": "lpad((10000 + (g::bigint * 7919) % 2000)::text, 5, '0')",
            "status": "(ARRAY['new','contacted','qualified','scheduled','converted','lost'])[1 + (g / 7) % 6]",
            "priority": "1",
            "workspace_id": f"CASE WHEN g % 5 = 0 THEN NULL ELSE 'ws-' || lpad((1 + g % {WORKSPACES})::text, 2, '0') END",
            "created_at": f"timestamptz '{START}' + (random() * {span}) * interval '1 second'",
            "updated_at": "now()",
        })
        # Holders: the primary assignee's record (its status is the lead's), a second buyer's for
        # 1 in 10 of those leads (multisell, fresh `new`), and 1 in 50 revoked (a reassignment).
        names, values = filler(cursor, "lead_access", {
            "lead_id": "l.id", "workspace_id": "l.workspace_id", "how": "'assigned'", "granted_at": "l.created_at",
            "status": "l.status", "priority": "1", "created_at": "l.created_at", "updated_at": "now()",
        })
        cursor.execute(f"INSERT INTO lead_access ({names}) SELECT {values} FROM leads l WHERE l.workspace_id IS NOT NULL")
        second = f"'ws-' || lpad((1 + (l.id + 7) % {WORKSPACES})::text, 2, '0')"
        names, values = filler(cursor, "lead_access", {
            "lead_id": "l.id", "workspace_id": second, "how": "'sold'", "granted_at": "l.created_at", "status": "'new'",
            "priority": "1", "revoked_at": "CASE WHEN l.id % 50 = 0 THEN l.created_at + interval '1 day' END",
            "created_at": "l.created_at", "updated_at": "now()",
        })
        cursor.execute(f"INSERT INTO lead_access ({names}) SELECT {values} FROM leads l "
                       f"WHERE l.workspace_id IS NOT NULL AND l.id % 10 IN (1, 3) AND {second} <> l.workspace_id")
        cursor.execute("""
            INSERT INTO lead_events (lead_id, event_type, event_data, created_at)
            SELECT id, 'received', jsonb_build_object('provider_id', 'prov-' || (1 + id % 10), 'webhook_id', webhook_id),
                   created_at
            FROM leads
        """)
        cursor.execute("""
            INSERT INTO lead_status_history (lead_id, workspace_id, old_status, new_status, changed_by, changed_by_name,
                                             reason, notes, metadata, created_at)
            SELECT id, workspace_id, 'new', status, 'system', '', '', '', '{}'::jsonb, created_at + interval '1 hour'
            FROM leads WHERE status <> 'new'
        """)
        # ~12% of leads convert (2% of those later voided), a second sale for 1 in 5 of those,
        # plus lead-less conversions reported straight against a contact.
        names, values = filler(cursor, "conversions", {
            "id": "gen_random_uuid()", "contact_id": "l.contact_id", "lead_id": "l.id",
            "workspace_id": "COALESCE(l.workspace_id, 'ws-01')",
            "converted_at": "l.created_at + (random() * 30 * 86400) * interval '1 second'",
            "conversion_type": "'sale'", "conversion_value": "round((100 + random() * 19900)::numeric, 2)",
            "currency": "'USD'", "voided_at": "CASE WHEN l.id % 50 = 0 THEN now() END",
            "created_at": "now()", "updated_at": "now()",
        })
        cursor.execute(f"INSERT INTO conversions ({names}) SELECT {values} FROM leads l WHERE l.id % 8 = 0")
        cursor.execute(f"INSERT INTO conversions ({names}) SELECT {values} FROM leads l WHERE l.id % 40 = 0")
        insert_series(cursor, "conversions", leads // 200, {
            "id": "gen_random_uuid()", "contact_id": f"1 + g % {contacts}",
            "workspace_id": f"'ws-' || lpad((1 + g % {WORKSPACES})::text, 2, '0')",
            "converted_at": f"timestamptz '{START}' + (random() * {span}) * interval '1 second'",
            "conversion_type": "'contract'", "conversion_value": "500", "currency": "'USD'",
        })
        names, values = filler(cursor, "appointments", {
            "lead_id": "l.id", "contact_id": "l.contact_id", "matched_workspace_id": "l.workspace_id",
            "appointment_type": "(ARRAY['consultation','estimate','installation','follow_up'])[1 + l.id % 4]",
            "scheduled_at": "l.created_at + interval '3 days'", "status": "'scheduled'", "location_type": "'home'",
            "duration_minutes": "60", "created_at": "l.created_at + interval '1 day'", "updated_at": "now()",
        })
        cursor.execute(f"INSERT INTO appointments ({names}) SELECT {values} FROM leads l WHERE l.id % 10 = 0")
        insert_series(cursor, "rejected_submissions", leads // 20, {
            "endpoint": "'lead'", "webhook_id": "'wh-' || (1 + g % 30)", "provider_id": "'prov-' || (1 + g % 10)",
            "reason_code": "'invalid_payload'", "reason": "'bad'", "http_status": "422",
            "created_at": f"timestamptz '{START}' + (random() * {span}) * interval '1 second'",
        })
        cursor.execute("INSERT INTO rejected_submission_tallies (submission_id, occurrences, last_seen_at) "
                       "SELECT id, 1 + id % 3, now() FROM rejected_submissions")
        cursor.execute("ANALYZE")


def paired(function, runs=3, before=None):
    """(median time of `function`, median time of the floor measured right before each call).

    The machine is shared, so load drifts: each call is paired with a fresh floor measurement and
    both get one untimed warm-up, so the ratio compares like with like. `before` runs untimed."""
    times, floors = [], []
    for attempt in range(runs + 1):
        if before:
            before()
        started = time.perf_counter()
        floor_query()
        floor = time.perf_counter() - started
        started = time.perf_counter()
        function()
        if attempt:
            times.append(time.perf_counter() - started)
            floors.append(floor)
    return statistics.median(times), statistics.median(floors)


def floor_query():
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT webhook_id, created_at::date, count(*) FROM leads GROUP BY 1, 2")
        cursor.fetchall()


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--leads", type=int, default=1_000_000)
    parser.add_argument("--keep", action="store_true", help="keep the bench database afterwards")
    parser.add_argument("--reuse", action="store_true", help="time a database kept by an earlier --keep run")
    options = parser.parse_args()

    env = {**os.environ, "DATABASE_URL": f"{SERVER}/{DATABASE}"}
    env.pop("REDIS_URL", None)
    if not options.reuse:
        recreate_database()
        subprocess.run([sys.executable, "manage.py", "migrate", "--noinput", "-v", "0"], cwd=ROOT, env=env, check=True)
    os.environ.update({"DATABASE_URL": env["DATABASE_URL"], "DJANGO_SETTINGS_MODULE": "leadhub.settings"})
    os.environ.pop("REDIS_URL", None)
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from analytics import selectors
    from analytics.models import LeadAnalytics
    from analytics.services import lead_analytics_rollup

    try:
        if not options.reuse:
            started = time.perf_counter()
            generate(options.leads)
            print(f"generated {options.leads:,} leads (+ events, conversions, appointments) "
                  f"in {time.perf_counter() - started:.1f}s")

        first, last = START, START + timedelta(days=DAYS - 1)

        def report(label, measured):
            seconds, floor = measured
            print(f"{label:<44} {seconds * 1000:7.0f} ms   floor {floor * 1000:5.0f} ms   {seconds / floor:5.2f} × floor")

        def empty_rollups():
            LeadAnalytics.objects.all().delete()

        def backfill():
            lead_analytics_rollup(date_from=first, date_to=last)

        report("scan floor (GROUP BY webhook_id, day)", paired(floor_query))
        report("rollup full backfill, empty table", paired(backfill, before=empty_rollups))
        report(f"rollup full re-run ({LeadAnalytics.objects.count():,} rows upserted)", paired(backfill))
        middle = START + timedelta(days=DAYS // 2)
        report("rollup one day", paired(lambda: lead_analytics_rollup(date_from=middle, date_to=middle)))
        scope = {"workspace_id": None, "date_from": first, "date_to": last}
        kpis = {
            "KPI contact-lead-ratio": lambda: selectors.contact_lead_ratio(**scope),
            "KPI appointment-conversion": lambda: selectors.appointment_conversion(**scope),
            "KPI providers": lambda: selectors.provider_performance(**scope),
            "KPI workspaces (mean + percentile_cont)": lambda: selectors.workspace_efficiency(**scope),
            "KPI geography by state": lambda: selectors.geographic_performance(**scope),
            "KPI geography by zip": lambda: selectors.geographic_performance(**scope, group="zip"),
            "KPI daily series": lambda: selectors.daily_series(**scope),
            "KPI funnel": lambda: selectors.pipeline_funnel(**scope),
        }
        one = {**scope, "workspace_id": "ws-02"}  # its leads: those it holds by a live access record
        kpis.update({
            "KPI providers, one workspace": lambda: selectors.provider_performance(**one),
            "KPI geography, one workspace": lambda: selectors.geographic_performance(**one),
            "KPI daily series, one workspace": lambda: selectors.daily_series(**one),
            "KPI workspaces, one workspace": lambda: selectors.workspace_efficiency(**one),
            "KPI funnel, one workspace": lambda: selectors.pipeline_funnel(**one),
        })
        for label, kpi in kpis.items():
            report(label, paired(kpi))
    finally:
        from django.db import connections

        connections.close_all()
        if not options.keep:
            drop_database()
            print(f"dropped {DATABASE}")


if __name__ == "__main__":
    main()
