"""Senders' ids become references (`leads.external_id`); leadhub alone numbers leads.

Leads that came with an `id`/`lead_id` get it as their `external_id` (so a retry of that post is
still recognised), and on PostgreSQL the id sequence goes back to the largest id at most 10^12:
one post of `"lead_id": 9223372036854775807` used to move it to its limit, after which no lead
could be numbered. SQLite's AUTOINCREMENT never depended on it.
"""
from django.db import migrations, models

from leadhub.payload_aliases import payload_key
from leads.ingest import MAX_KEPT_LEAD_ID, to_external_id

# The keys the old ingest read a lead's own id from ("id", "lead_id" in any case style; one level
# of nesting joined, so {"lead": {"id": 7}} was "lead_id").
OLD_ID_KEYS = frozenset({"id", "leadid"})


def old_reference(payload):
    if not isinstance(payload, dict):
        return None
    for key, value in payload.items():
        pairs = value.items() if isinstance(value, dict) else [("", value)]
        for sub_key, sub_value in pairs:
            if payload_key(f"{key}_{sub_key}" if sub_key else key) not in OLD_ID_KEYS:
                continue
            if sub_value is None or (isinstance(sub_value, str) and not sub_value.strip()):
                continue
            try:
                return to_external_id(sub_value)
            except ValueError:
                return None
    return None


def forwards(apps, schema_editor):
    Lead = apps.get_model("leads", "Lead")
    seen, batch = set(), []
    rows = Lead.objects.filter(external_id__isnull=True).only("id", "webhook_id", "provider_id", "raw_payload")
    for lead in rows.order_by("id").iterator(chunk_size=2000):
        reference = old_reference(lead.raw_payload)
        key = (lead.webhook_id, lead.provider_id, reference)
        if reference is None or key in seen:
            continue
        seen.add(key)
        lead.external_id = reference
        batch.append(lead)
        if len(batch) == 1000:
            Lead.objects.bulk_update(batch, ["external_id"])
            batch = []
    Lead.objects.bulk_update(batch, ["external_id"])
    connection = schema_editor.connection
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT setval(pg_get_serial_sequence('leads', 'id'), COALESCE(MAX(id), 1), MAX(id) IS NOT NULL) "
                "FROM leads WHERE id <= %s",
                [MAX_KEPT_LEAD_ID],
            )


class Migration(migrations.Migration):

    dependencies = [
        ("leads", "0006_actor_one_form"),
    ]

    operations = [
        migrations.AddField(
            model_name="lead",
            name="external_id",
            field=models.CharField(blank=True, max_length=100, null=True),
        ),
        migrations.RunPython(forwards, migrations.RunPython.noop),
        migrations.AddConstraint(
            model_name="lead",
            constraint=models.UniqueConstraint(
                fields=("webhook_id", "provider_id", "external_id"), name="leads_webhook_provider_external_id_uniq"
            ),
        ),
    ]
