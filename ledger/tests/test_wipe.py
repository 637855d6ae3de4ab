"""Nobody wipes the ledger: a plain `TRUNCATE ledger_entries` (PostgreSQL) and `DELETE FROM
ledger_entries` (both databases) are refused by the database, as UPDATE always was; only the test
suite's flush passes, through a token that only `leadhub.testing.ledger_wipe` sets (ledger
migration 0003). Before, an outside test wiped 516 entries with one TRUNCATE."""
import pytest
from django.core.management import call_command
from django.db import DatabaseError, connection, transaction
from django.db.backends.base.operations import BaseDatabaseOperations

from leadhub.testing import ledger_wipe
from leadhub.tests.test_layers import ROOT, runtime_modules
from ledger.models import Entry, EntryKind
from ledger.services import Draft, ledger_entries_record


def book_two():
    ledger_entries_record(drafts=[Draft(kind=EntryKind.SALE, amount="25.00", workspace_id="buyer-a"),
                                  Draft(kind=EntryKind.PAYOUT, amount="4.00", provider_id="p1")])


def refused(sql):
    with pytest.raises(DatabaseError, match="immutable"), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql)
    assert Entry.objects.count() == 2


@pytest.mark.postgres_only
@pytest.mark.django_db
def test_a_plain_truncate_is_refused():
    book_two()
    refused("TRUNCATE ledger_entries")
    refused("TRUNCATE ledger_entries RESTART IDENTITY CASCADE")


@pytest.mark.django_db
def test_a_plain_delete_is_refused_on_either_database():
    book_two()
    refused("DELETE FROM ledger_entries")
    with pytest.raises(DatabaseError, match="immutable"), transaction.atomic():
        Entry.objects.all().delete()
    assert Entry.objects.count() == 2


@pytest.mark.postgres_only
@pytest.mark.django_db
def test_the_wipe_setting_with_another_value_is_refused():
    book_two()
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL leadhub.ledger_wipe = 'yes'")
        with pytest.raises(DatabaseError, match="immutable"), transaction.atomic():
            cursor.execute("TRUNCATE ledger_entries")
    assert Entry.objects.count() == 2


@pytest.mark.django_db
def test_the_pass_ends_with_its_block():
    book_two()
    with transaction.atomic():
        with ledger_wipe.ledger_wipe_allowed():
            pass
        refused("DELETE FROM ledger_entries")


@pytest.mark.django_db(transaction=True)
def test_the_test_flush_empties_the_ledger_and_djangos_own_flush_is_refused():
    """The flush a `transaction=True` test ends with (TransactionTestCase: `flush`) passes; the
    same command without the test hook (what `manage.py flush` runs) is refused."""
    book_two()
    with pytest.raises(DatabaseError, match="immutable"):
        ledger_wipe.DJANGO_EXECUTE_SQL_FLUSH(connection.ops, call_command_sql())
    assert Entry.objects.count() == 2

    call_command("flush", verbosity=0, interactive=False, inhibit_post_migrate=True)

    assert not Entry.objects.exists()
    assert BaseDatabaseOperations.execute_sql_flush is not ledger_wipe.DJANGO_EXECUTE_SQL_FLUSH


def call_command_sql():
    from django.core.management.color import no_style
    from django.core.management.sql import sql_flush

    return sql_flush(no_style(), connection)


def test_no_runtime_module_names_the_wipe_token():
    """Runtime code has no way to set the token: nothing outside tests, the testing package and
    the migration that reads it names it."""
    named = [str(path.relative_to(ROOT)) for path in runtime_modules(*{p.parts[-2] for p in ROOT.glob("*/apps.py")})
             if ledger_wipe.WIPE_SETTING in path.read_text() or ledger_wipe.SQLITE_TOKEN_TABLE in path.read_text()]
    assert named == []
