"""Deposits: money a buyer paid in, a buyer-side credit (zero or negative, like a return credit).

On SQLite, changing a check constraint rebuilds the table, and the rebuilt table has none of the
old one's triggers: the immutability triggers of 0001 (UPDATE) and 0003 (DELETE but the test
flush) are created again on it. PostgreSQL alters the constraints in place; its triggers stay.
"""
from importlib import import_module

from django.db import migrations, models


def sqlite_triggers_recreate(apps, schema_editor):
    if schema_editor.connection.vendor != "sqlite":
        return
    for statement in [*import_module("ledger.migrations.0001_entries").SQLITE_UP,
                      import_module("ledger.migrations.0003_refuse_wipes").SQLITE_UP]:
        schema_editor.execute(statement)


class Migration(migrations.Migration):

    dependencies = [
        ('ledger', '0003_refuse_wipes'),
    ]

    operations = [
        migrations.RemoveConstraint(
            model_name='entry',
            name='ledger_entries_kind_valid',
        ),
        migrations.RemoveConstraint(
            model_name='entry',
            name='ledger_entries_credit_kinds',
        ),
        migrations.AlterField(
            model_name='entry',
            name='kind',
            field=models.CharField(choices=[('sale', 'Sale (a buyer owes)'), ('payout', 'Payout (a provider is owed)'), ('return_credit', 'Return credit'), ('chargeback', 'Chargeback'), ('adjustment', 'Adjustment'), ('undelivered', 'Undelivered sale credit'), ('deposit', 'Deposit (money a buyer paid in)')], max_length=20),
        ),
        migrations.AddConstraint(
            model_name='entry',
            constraint=models.CheckConstraint(condition=models.Q(('kind__in', ['sale', 'payout', 'return_credit', 'chargeback', 'adjustment', 'undelivered', 'deposit'])), name='ledger_entries_kind_valid'),
        ),
        migrations.AddConstraint(
            model_name='entry',
            constraint=models.CheckConstraint(condition=models.Q(models.Q(('kind__in', ('return_credit', 'chargeback', 'undelivered', 'deposit')), _negated=True), ('amount__lte', 0), _connector='OR'), name='ledger_entries_credit_kinds'),
        ),
        migrations.RunPython(sqlite_triggers_recreate, migrations.RunPython.noop),
    ]
