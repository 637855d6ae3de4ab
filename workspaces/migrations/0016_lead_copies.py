"""One row per (forwarding rule, lead) copy ever queued; the copies already sent are recorded,
so leads forwarded before this migration get no second copy either."""

import django.db.models.deletion
import django.utils.timezone
from django.db import migrations, models


def copies_already_sent(apps, schema_editor):
    OutboundEvent = apps.get_model("workspaces", "OutboundEvent")
    LeadCopy = apps.get_model("workspaces", "LeadCopy")
    sent = (OutboundEvent.objects.filter(forwarding_rule__isnull=False, subject_type="lead")
            .values("forwarding_rule_id", "subject_id").annotate(first=models.Min("created_at")).order_by())
    batch = []
    for row in sent.iterator():
        if row["subject_id"].isdigit():
            batch.append(LeadCopy(forwarding_rule_id=row["forwarding_rule_id"], lead_id=int(row["subject_id"]),
                                  created_at=row["first"]))
        if len(batch) >= 1000:
            LeadCopy.objects.bulk_create(batch, ignore_conflicts=True)
            batch = []
    LeadCopy.objects.bulk_create(batch, ignore_conflicts=True)


class Migration(migrations.Migration):

    dependencies = [
        ('workspaces', '0015_sold_events'),
    ]

    operations = [
        migrations.CreateModel(
            name='LeadCopy',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('lead_id', models.BigIntegerField()),
                ('created_at', models.DateTimeField(default=django.utils.timezone.now)),
                ('forwarding_rule', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='copies', to='workspaces.leadforwardingrule')),
            ],
            options={
                'db_table': 'lead_copies',
                'constraints': [models.UniqueConstraint(fields=('forwarding_rule', 'lead_id'), name='lead_copies_once')],
            },
        ),
        migrations.RunPython(copies_already_sent, migrations.RunPython.noop),
    ]
