"""The per-buyer duplicate window gets its own row per (buyer, phone): when the buyer last bought
a lead with that phone (`distribution.models.BuyerPhone`), moved by a conditional upsert inside
the distribution transaction, so racing posts of one phone cannot all pass the window as a plain
read of past sales let them. The rows start from the lead sales there are: the latest per
(buyer, phone) with a phone, in one INSERT ... SELECT."""
import django.db.models.deletion
from django.db import migrations, models


def buyer_phones_from_sales(apps, schema_editor):
    BuyerPhone = apps.get_model("distribution", "BuyerPhone")
    Sale = apps.get_model("distribution", "Sale")
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {BuyerPhone._meta.db_table} (workspace_id, phone, last_sold_at) "
            f"SELECT workspace_id, phone, MAX(sold_at) FROM {Sale._meta.db_table} "
            f"WHERE phone <> '' AND appointment_id IS NULL "
            f"GROUP BY workspace_id, phone"
        )


class Migration(migrations.Migration):

    dependencies = [
        ('distribution', '0007_sales_name_appointments'),
        ('workspaces', '0015_sold_events'),
    ]

    operations = [
        migrations.CreateModel(
            name='BuyerPhone',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('phone', models.CharField(max_length=16)),
                ('last_sold_at', models.DateTimeField()),
                ('workspace', models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.PROTECT,
                                                related_name='+', to='workspaces.workspace')),
            ],
            options={
                'db_table': 'distribution_buyer_phones',
                'constraints': [models.UniqueConstraint(fields=('workspace', 'phone'), name='buyer_phone_uniq')],
            },
        ),
        migrations.RunPython(buyer_phones_from_sales, migrations.RunPython.noop),
    ]
