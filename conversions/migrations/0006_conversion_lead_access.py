"""Each conversion links to the recording workspace's access record of its lead (created for
today's assignments by leads 0008)."""
import django.db.models.deletion
from django.db import migrations, models


def conversions_link(apps, schema_editor):
    Conversion = apps.get_model("conversions", "Conversion")
    LeadAccess = apps.get_model("leads", "LeadAccess")
    wanted = Conversion.objects.filter(lead_id__isnull=False, workspace_id__isnull=False, lead_access__isnull=True)
    for conversion in wanted.iterator(chunk_size=2000):
        access = LeadAccess.objects.filter(lead_id=conversion.lead_id, workspace_id=conversion.workspace_id).first()
        if access is None:
            lead = apps.get_model("leads", "Lead").objects.get(pk=conversion.lead_id)
            access = LeadAccess.objects.create(
                lead_id=lead.pk, workspace_id=conversion.workspace_id, how="assigned", granted_at=conversion.created_at,
                granted_by="system", status=lead.status,
            )
        Conversion.objects.filter(pk=conversion.pk).update(lead_access_id=access.pk)


class Migration(migrations.Migration):

    dependencies = [
        ("conversions", "0005_actor_one_form"),
        ("leads", "0009_lead_access_backfill"),
    ]

    operations = [
        migrations.AddField(
            model_name="conversion",
            name="lead_access",
            field=models.ForeignKey(
                blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name="conversions",
                to="leads.leadaccess",
            ),
        ),
        migrations.RunPython(conversions_link, migrations.RunPython.noop),
    ]
