"""The benchmarks' bulk loader: a throwaway PostgreSQL database and N leads in it, fast.

Shared by every benchmark that needs a big `leads` table (bench/admin.py's changelists,
bench/duplicates.py's duplicate rules at intake, the suppression lookups): rows are made by the
database itself, `INSERT … SELECT … FROM generate_series` (as fast as COPY, without shipping a
million rows through Python), then ANALYZEd, so a figure at 1,000,000 leads is the planner's
real choice. Lead n (1-based) has contact (n - 1) // LEADS_PER_CONTACT + 1, whose phone
`phone_of(contact)` it shares, email `email_of(n)`, and was received `n % SPREAD_SECONDS`
seconds before the load (a year of leads, every second of it about as full): a benchmark finds
the rows it wants again from these functions.
"""
import os
import uuid
from contextlib import contextmanager
from urllib.parse import urlsplit, urlunsplit

LEADS_PER_CONTACT = 10
SPREAD_SECONDS = 365 * 24 * 3600
WEBHOOK_ID = "bench"


def phone_of(contact: int) -> str:
    return f"+1415{contact:07d}"


def email_of(lead: int) -> str:
    return f"ada{lead}@example.com"


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


@contextmanager
def throwaway_database(prefix):
    """A database created on BENCH_PG_URL's server (default postgres://postgres@127.0.0.1:5432/postgres),
    migrated, with Django set up on it; dropped at the end."""
    admin_url = os.environ.get("BENCH_PG_URL", "postgres://postgres@127.0.0.1:5432/postgres")
    name = f"leadhub_bench_{prefix}_{uuid.uuid4().hex[:8]}"
    admin_sql(admin_url, f'CREATE DATABASE "{name}"')
    try:
        set_up_django(urlunsplit(urlsplit(admin_url)._replace(path=f"/{name}")))
        from django.core.management import call_command

        call_command("migrate", verbosity=0)
        yield name
    finally:
        from django.db import connections

        connections.close_all()
        admin_sql(admin_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


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


def leads_grow(leads, already=0, *, lead_columns=None):
    """Add contacts and leads until there are `leads` leads (ids are the series numbers), then
    ANALYZE. `lead_columns`: SQL per column over the series number `g` in place of the defaults
    (half of the leads assigned to one of the workspaces bench-ws-0..4, which must exist)."""
    from django.db import connection

    from contacts.models import Contact
    from leads.models import Lead

    contact = f"((g - 1) / {LEADS_PER_CONTACT} + 1)"
    with connection.cursor() as cursor:
        insert_series(cursor, Contact, already // LEADS_PER_CONTACT + 1, leads // LEADS_PER_CONTACT + 1, {
            "id": "g", "webhook_id": f"'{WEBHOOK_ID}'", "phone": "'+1415' || lpad(g::text, 7, '0')",
            "first_name": "'Ada'", "last_name": "'Bench' || g", "email": "'ada' || g || '@example.com'",
            "conversion_status": "'pending'",
        })
        insert_series(cursor, Lead, already + 1, leads + 1, {
            "id": "g", "contact_id": contact, "webhook_id": f"'{WEBHOOK_ID}'",
            "lead_type": "(ARRAY['solar','hvac','insurance'])[g % 3 + 1]",
            "first_name": "'Ada'", "last_name": "'Bench' || g", "email": "'ada' || g || '@example.com'",
            "phone": f"'+1415' || lpad({contact}::text, 7, '0')", "status": "'new'", "priority": "1",
            "workspace_id": "CASE WHEN g % 2 = 0 THEN 'bench-ws-' || (g % 5) END",
            "workspace_status": "CASE WHEN g % 2 = 0 THEN 'assigned' ELSE '' END",
            "created_at": f"now() - (g % {SPREAD_SECONDS}) * interval '1 second'",
            **(lead_columns or {}),
        })
        for table in ("contacts", "leads"):
            cursor.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))")
            cursor.execute(f"ANALYZE {table}")
