"""Rows the data migrations seed, put back after every test flush (pytest plugin, loaded by
conftest.py).

A `transaction=True` test's teardown empties every table, the rows data migrations seeded
included (the calling-window rules, the return reasons), and every later test in that process
would run against an empty rule table. The flush's own transaction re-runs those migrations'
seeding functions against the current models, so each test starts from the database `migrate`
made, as it would in production.
"""
from importlib import import_module

import pytest

from django.apps import apps
from django.db.backends.base.operations import BaseDatabaseOperations

SEEDING_MIGRATIONS = [
    ("compliance.migrations.0002_seed_calling_rules", "seed"),
    ("returns.migrations.0002_seed_reasons", "seed"),
]


def seeds_restore(schema_editor=None):
    for module, function in SEEDING_MIGRATIONS:
        getattr(import_module(module), function)(apps, schema_editor)
    from compliance.rules import rules_forget

    rules_forget()


def flush_then_seed(flush):
    def execute_sql_flush(self, sql_list):
        flush(self, sql_list)
        seeds_restore()

    return execute_sql_flush


@pytest.hookimpl(trylast=True)  # after the ledger's pass (leadhub.testing.ledger_wipe) replaced the flush
def pytest_configure(config):
    BaseDatabaseOperations.execute_sql_flush = flush_then_seed(BaseDatabaseOperations.execute_sql_flush)
