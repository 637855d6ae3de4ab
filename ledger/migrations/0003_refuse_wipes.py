"""Nobody wipes the ledger: TRUNCATE on PostgreSQL and DELETE on SQLite are refused like UPDATE.

0001 refused row UPDATE and DELETE, but a TRUNCATE fires no row trigger (an outside test wiped 516
entries with one), and SQLite refused UPDATE only because flushing a test database DELETEs every
row. Django's test flush must still empty the table between `transaction=True` tests, so each
refusal has one pass, which only the test flush opens:

- PostgreSQL: a statement-level BEFORE TRUNCATE trigger lets the statement through only when the
  transaction's custom setting `leadhub.ledger_wipe` is `test-flush` AND the database is a test
  database (Django names every one `test_…`), so the token is worthless on a real database.
- SQLite: a BEFORE DELETE trigger lets rows go only while the connection has the temporary table
  `ledger_wipe_test_flush` (temporary tables are per connection: another connection, or the same
  one after the flush, never sees it).

The pass is opened and closed inside the flush's own transaction by
`leadhub.testing.ledger_wipe` (a pytest plugin wrapping Django's `execute_sql_flush`); runtime code
never imports the testing package and names neither token (checked by leadhub/tests/test_layers.py
and ledger/tests/test_wipe.py). A row DELETE on PostgreSQL stays refused whatever the setting
(0001): the flush truncates. SQLite's DELETE refusal needs `pragma_table_list` (SQLite 3.37+).
"""
from django.db import migrations

MESSAGE = "ledger entries are immutable: add a correcting entry instead"
POSTGRES_UP = f"""
CREATE FUNCTION ledger_entries_no_wipe() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF current_setting('leadhub.ledger_wipe', true) = 'test-flush' AND left(current_database(), 5) = 'test_' THEN
        RETURN NULL;
    END IF;
    RAISE EXCEPTION '{MESSAGE}' USING ERRCODE = 'restrict_violation';
END $$;
CREATE TRIGGER ledger_entries_no_truncate BEFORE TRUNCATE ON ledger_entries
    FOR EACH STATEMENT EXECUTE FUNCTION ledger_entries_no_wipe();
"""
POSTGRES_DOWN = """
DROP TRIGGER IF EXISTS ledger_entries_no_truncate ON ledger_entries;
DROP FUNCTION IF EXISTS ledger_entries_no_wipe();
"""
# Not `ledger_entries_no_delete`: 0002 drops a trigger of that name wherever it runs.
SQLITE_UP = (
    "CREATE TRIGGER ledger_entries_no_delete_but_test_flush BEFORE DELETE ON ledger_entries "
    "WHEN NOT EXISTS (SELECT 1 FROM pragma_table_list WHERE schema = 'temp' AND name = 'ledger_wipe_test_flush') "
    f"BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END"
)
SQLITE_DOWN = "DROP TRIGGER IF EXISTS ledger_entries_no_delete_but_test_flush"


def refuse_wipes(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(POSTGRES_UP)
    elif schema_editor.connection.vendor == "sqlite":
        schema_editor.execute(SQLITE_UP)


def allow_wipes(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(POSTGRES_DOWN)
    elif schema_editor.connection.vendor == "sqlite":
        schema_editor.execute(SQLITE_DOWN)


class Migration(migrations.Migration):

    dependencies = [
        ("ledger", "0002_sqlite_refuses_update_only"),
    ]

    operations = [migrations.RunPython(refuse_wipes, allow_wipes)]
