"""The test suite's pass through the ledger's wipe refusal (pytest plugin, loaded by conftest.py).

The database refuses to wipe `ledger_entries` (ledger migration 0003): on PostgreSQL a TRUNCATE
unless the transaction's `leadhub.ledger_wipe` setting is `test-flush` and the database is a test
database (Django names them `test_…`); on SQLite a DELETE unless the connection has the temporary
table `ledger_wipe_test_flush`. Only this module sets either: it wraps Django's
`execute_sql_flush` (what the `flush` command, and so every `transaction=True` test's teardown,
runs) so that the flush's own transaction opens the pass and closes it. Runtime code never imports
this package (leadhub/tests/test_layers.py) and names neither token (ledger/tests/test_wipe.py), so
`manage.py flush` or a stray TRUNCATE on a real database is refused.
"""
from contextlib import contextmanager

from django.db import DEFAULT_DB_ALIAS, connections, transaction
from django.db.backends.base.operations import BaseDatabaseOperations

WIPE_SETTING = "leadhub.ledger_wipe"
WIPE_TOKEN = "test-flush"
SQLITE_TOKEN_TABLE = "ledger_wipe_test_flush"

OPEN = {"postgresql": f"SELECT set_config('{WIPE_SETTING}', '{WIPE_TOKEN}', true)",
        "sqlite": f"CREATE TEMP TABLE {SQLITE_TOKEN_TABLE} (token TEXT)"}
CLOSE = {"postgresql": f"SELECT set_config('{WIPE_SETTING}', '', true)",
         "sqlite": f"DROP TABLE temp.{SQLITE_TOKEN_TABLE}"}

DJANGO_EXECUTE_SQL_FLUSH = BaseDatabaseOperations.execute_sql_flush


@contextmanager
def ledger_wipe_allowed(using=DEFAULT_DB_ALIAS):
    """Inside, this connection may TRUNCATE (PostgreSQL) or DELETE from the ledger. One
    transaction (a savepoint inside a test's) holds the pass: it is closed on the way out and
    rolled back with the block on an error."""
    connection = connections[using]
    with transaction.atomic(using=using), connection.cursor() as cursor:
        cursor.execute(OPEN[connection.vendor])
        yield
        cursor.execute(CLOSE[connection.vendor])


def execute_sql_flush(self, sql_list):
    """Django's flush, with the pass open for its transaction."""
    with ledger_wipe_allowed(using=self.connection.alias):
        DJANGO_EXECUTE_SQL_FLUSH(self, sql_list)


def ledger_entries_remove(*entry_ids, using=DEFAULT_DB_ALIAS):
    """Remove some entries as a wipe would (tests of `verify_ledger`): on PostgreSQL, where a
    DELETE is refused whatever the pass, the others are kept aside, the table truncated and they
    are put back as they were."""
    connection = connections[using]
    with ledger_wipe_allowed(using=using), connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute(f"DELETE FROM ledger_entries WHERE id IN ({', '.join(['%s'] * len(entry_ids))})",
                           list(entry_ids))
            return
        cursor.execute("CREATE TEMP TABLE ledger_entries_kept AS "
                       "SELECT * FROM ledger_entries WHERE NOT (id = ANY(%s))", [list(entry_ids)])
        cursor.execute("TRUNCATE ledger_entries")
        cursor.execute("INSERT INTO ledger_entries SELECT * FROM ledger_entries_kept")
        cursor.execute("DROP TABLE ledger_entries_kept")


def pytest_configure(config):
    BaseDatabaseOperations.execute_sql_flush = execute_sql_flush
