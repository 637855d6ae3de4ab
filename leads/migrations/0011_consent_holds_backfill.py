"""Leads held for consent before holds existed get their `consent` hold (placed at their ingest,
by the system), so the gate and the release read one thing."""
from django.db import migrations

MESSAGE = ("Held for consent: {missing} not true. The lead is stored but not assigned or forwarded until consent "
           "is confirmed.")


def backfill(apps, schema_editor):
    Lead = apps.get_model("leads", "Lead")
    LeadHold = apps.get_model("leads", "LeadHold")
    held = Lead.objects.filter(held_for_consent=True).only("pk", "consent_value", "tcpa_compliance", "created_at")
    for lead in held.iterator():
        missing = [name for name in ("consent_value", "tcpa_compliance") if not getattr(lead, name)] or ["consent"]
        LeadHold.objects.get_or_create(
            lead_id=lead.pk, reason="consent", released_at=None,
            defaults={"message": MESSAGE.format(missing=" and ".join(missing)), "placed_by": "system",
                      "placed_at": lead.created_at},
        )
    Lead.objects.filter(held_for_consent=True).update(hold_reasons="consent")


class Migration(migrations.Migration):
    dependencies = [("leads", "0010_lead_holds")]
    operations = [migrations.RunPython(backfill, migrations.RunPython.noop)]
