"""Buyers' balances: one row per buyer, the sum of its buyer-side entries, filled here from the
entries already booked so the balances hold from the start."""
from django.db import migrations, models
from django.db.models import Sum


def balances_fill(apps, schema_editor):
    Entry, Balance = apps.get_model("ledger", "Entry"), apps.get_model("ledger", "Balance")
    sums = (Entry.objects.filter(side="buyer").exclude(workspace_id="").order_by()
            .values("workspace_id").annotate(owed=Sum("amount")))
    Balance.objects.bulk_create(Balance(workspace_id=row["workspace_id"], owed=row["owed"]) for row in sums)


class Migration(migrations.Migration):

    dependencies = [
        ('ledger', '0004_deposit'),
    ]

    operations = [
        migrations.CreateModel(
            name='Balance',
            fields=[
                ('workspace_id', models.CharField(max_length=64, primary_key=True, serialize=False)),
                ('owed', models.DecimalField(decimal_places=2, default=0, max_digits=20)),
            ],
            options={
                'db_table': 'ledger_balances',
            },
        ),
        migrations.RunPython(balances_fill, migrations.RunPython.noop),
    ]
