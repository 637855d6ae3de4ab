"""A closed statement is a snapshot: the database refuses every UPDATE of a statement or of its
lines (a correction is an entry, which lands on the next statement). DELETE stays possible: the
test suite's flush empties the tables, and nothing in the code deletes a statement."""
from django.db import migrations

TABLES = ("billing_statements", "billing_statement_lines")
MESSAGE = "a closed statement never changes: book a ledger entry, it lands on the next statement"

POSTGRES_UP = [f"""
CREATE FUNCTION billing_statements_immutable() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '{MESSAGE}' USING ERRCODE = 'restrict_violation';
END $$;
"""] + [f"CREATE TRIGGER {table}_no_update BEFORE UPDATE ON {table} FOR EACH ROW "
        f"EXECUTE FUNCTION billing_statements_immutable();" for table in TABLES]
POSTGRES_DOWN = [f"DROP TRIGGER IF EXISTS {table}_no_update ON {table};" for table in TABLES] + [
    "DROP FUNCTION IF EXISTS billing_statements_immutable();"]
SQLITE_UP = [f"CREATE TRIGGER {table}_no_update BEFORE UPDATE ON {table} BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END"
             for table in TABLES]
SQLITE_DOWN = [f"DROP TRIGGER IF EXISTS {table}_no_update" for table in TABLES]


def _run(schema_editor, statements):
    for sql in statements.get(schema_editor.connection.vendor, []):
        schema_editor.execute(sql)


def immutable(apps, schema_editor):
    _run(schema_editor, {"postgresql": POSTGRES_UP, "sqlite": SQLITE_UP})


def mutable(apps, schema_editor):
    _run(schema_editor, {"postgresql": POSTGRES_DOWN, "sqlite": SQLITE_DOWN})


class Migration(migrations.Migration):

    dependencies = [
        ("billing", "0001_statements"),
    ]

    operations = [migrations.RunPython(immutable, mutable)]
