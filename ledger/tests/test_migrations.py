"""Ledger 0002 brings a database migrated with the first 0001 (a DELETE trigger on SQLite too) to
the triggers a database migrated today has, and changes nothing on one already there."""
from decimal import Decimal
from importlib import import_module

import pytest
from django.db import DatabaseError, connection, transaction

from leadhub.testing.ledger_wipe import ledger_wipe_allowed
from ledger.models import Entry, EntryKind
from ledger.services import Draft, ledger_entries_record

pytestmark = pytest.mark.django_db

fix = import_module("ledger.migrations.0002_sqlite_refuses_update_only").drop_sqlite_delete_trigger

# What the first 0001 created on SQLite besides today's UPDATE trigger.
OLD_SQLITE_DELETE_TRIGGER = (
    "CREATE TRIGGER ledger_entries_no_delete BEFORE DELETE ON ledger_entries "
    "BEGIN SELECT RAISE(ABORT, 'ledger entries are immutable: add a correcting entry instead'); END"
)


def triggers():
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'ledger_entries'")
        else:
            cursor.execute(
                "SELECT tgname, pg_get_triggerdef(oid) FROM pg_trigger "
                "WHERE tgrelid = 'ledger_entries'::regclass AND NOT tgisinternal"
            )
        return sorted(cursor.fetchall())


def apply_fix():
    fix(None, connection.schema_editor())


def test_a_database_already_at_todays_triggers_is_left_as_it_is():
    today = triggers()
    assert today
    apply_fix()
    apply_fix()
    assert triggers() == today


@pytest.mark.sqlite_only  # the DELETE trigger was SQLite's
def test_an_sqlite_database_migrated_with_the_first_0001_ends_as_a_fresh_one():
    today = triggers()
    with connection.cursor() as cursor:
        cursor.execute(OLD_SQLITE_DELETE_TRIGGER)
    assert len(triggers()) == len(today) + 1

    apply_fix()

    assert triggers() == today
    ledger_entries_record(drafts=[Draft(kind=EntryKind.SALE, amount=Decimal("5.00"), workspace_id="buyer-a")])
    with pytest.raises(DatabaseError, match="immutable"), transaction.atomic():
        Entry.objects.all().delete()  # refused as on a fresh database (0003), not by the old trigger
    with ledger_wipe_allowed():
        Entry.objects.all().delete()  # which the test flush passes
    assert not Entry.objects.exists()
