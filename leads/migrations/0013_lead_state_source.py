"""Where a lead's state came from (`state_source`), and the flag for ops when a posted state is
not its ZIP's (`state_conflicts_zip`). Leads already stored get both as ingest now sets them: a
posted state stays (flagged when its ZIP says otherwise), a lead with a ZIP and no state gets the
ZIP's state, marked derived (`leads.ingest.state_columns`)."""
from django.db import migrations, models


def lead_states_derive(apps, schema_editor):
    from leads.ingest import state_columns

    Lead = apps.get_model("leads", "Lead")
    Lead.objects.exclude(state="").filter(zip_code="").update(state_source="posted")
    changed = []
    rows = Lead.objects.exclude(zip_code="").values_list("id", "state", "zip_code").order_by("id")
    for pk, state, zip_code in rows.iterator(chunk_size=2000):
        if columns := state_columns(state, zip_code):
            changed.append(Lead(id=pk, **columns))
        if len(changed) == 2000:
            Lead.objects.bulk_update(changed, ["state", "state_source", "state_conflicts_zip"])
            changed = []
    Lead.objects.bulk_update(changed, ["state", "state_source", "state_conflicts_zip"])


class Migration(migrations.Migration):

    dependencies = [
        ('contacts', '0005_money_aggregates_numeric_20_2'),
        ('leads', '0012_lead_excluded_buyers'),
        ('workspaces', '0015_sold_events'),
    ]

    operations = [
        migrations.AddField(
            model_name='lead',
            name='state_conflicts_zip',
            field=models.BooleanField(default=False, help_text="The posted state is not the ZIP's state: kept as posted, for ops to check.", verbose_name='state conflicts with the ZIP'),
        ),
        migrations.AddField(
            model_name='lead',
            name='state_source',
            field=models.CharField(blank=True, choices=[('posted', 'posted'), ('zip', 'from the ZIP')], help_text='Where the state came from: posted, or derived from the ZIP when none was posted; empty = no state.', max_length=10),
        ),
        migrations.AddIndex(
            model_name='lead',
            index=models.Index(condition=models.Q(('state_conflicts_zip', True)), fields=['id'], name='leads_state_conflict_idx'),
        ),
        migrations.RunPython(lead_states_derive, migrations.RunPython.noop),
        migrations.AddConstraint(
            model_name='lead',
            constraint=models.CheckConstraint(condition=models.Q(('state_source__in', ['posted', 'zip']), ('state_source', ''), _connector='OR'), name='leads_state_source_valid'),
        ),
    ]
