"""SQLite databases migrated while 0001 still created a DELETE trigger on ledger_entries lose it:
today's 0001 refuses UPDATE only on SQLite (it has no TRUNCATE, so flushing a test database
DELETEs every row). Databases created since, and PostgreSQL (UPDATE and DELETE refused by one
trigger), have nothing to change."""
from django.db import migrations


def drop_sqlite_delete_trigger(apps, schema_editor):
    if schema_editor.connection.vendor == "sqlite":
        schema_editor.execute("DROP TRIGGER IF EXISTS ledger_entries_no_delete")


class Migration(migrations.Migration):

    dependencies = [
        ("ledger", "0001_entries"),
    ]

    operations = [migrations.RunPython(drop_sqlite_delete_trigger, migrations.RunPython.noop)]
