"""Extended planner statistics on the leads' (webhook_id, UTC day) cohort key (PostgreSQL only).

Without them the planner has no estimate for the expression `(created_at AT TIME ZONE 'UTC')::date`
and assumes one group per lead, so the analytics rollup and the KPIs that group by day get a
spilling, serial hash aggregate instead of a parallel one sized for ~one group per webhook and day.
"""
from django.db import migrations

DAY = "((created_at AT TIME ZONE 'UTC')::date)"
CREATE = [
    f"CREATE STATISTICS IF NOT EXISTS leads_webhook_utc_day_stats (ndistinct) ON webhook_id, {DAY} FROM leads",
    f"CREATE STATISTICS IF NOT EXISTS leads_utc_day_stats ON {DAY} FROM leads",
    "ANALYZE leads",
]
DROP = ["DROP STATISTICS IF EXISTS leads_webhook_utc_day_stats", "DROP STATISTICS IF EXISTS leads_utc_day_stats"]


def run(statements):
    def apply(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            for statement in statements:
                schema_editor.execute(statement)

    return apply


class Migration(migrations.Migration):
    dependencies = [("leads", "0003_lead_held_for_consent")]

    operations = [migrations.RunPython(run(CREATE), run(DROP))]
