"""Audit columns of lead status, history, activities, tracking, events in the one actor form of leadhub.actors.

The mapping of the old forms is leadhub.legacy_actors.legacy_actor.
"""
from django.conf import settings
from django.db import migrations

from leadhub.legacy_actors import actor_lookups, actors_rewrite


def forwards(apps, schema_editor):
    found = actor_lookups(apps)
    Lead = apps.get_model("leads", "Lead")
    actors_rewrite(Lead, lookups=found, columns=["status_changed_by"], workspace_of=lambda row: row.workspace_id)
    actors_rewrite(
        apps.get_model("leads", "LeadStatusHistory"), lookups=found, columns=["changed_by"],
        name_column="changed_by_name",
        workspace_of=lambda row: (row.metadata or {}).get("workspace_id"),
    )
    actors_rewrite(
        apps.get_model("leads", "LeadActivity"), lookups=found, columns=["created_by"],
        name_column="created_by_name",
        workspace_of=lambda row: (row.metadata or {}).get("workspace_id"),
    )
    actors_rewrite(
        apps.get_model("leads", "WorkspaceTracking"), lookups=found, columns=["performed_by"], json_column="metadata",
        workspace_of=lambda row: row.workspace_id,
    )
    actors_rewrite(
        apps.get_model("leads", "LeadEvent"), lookups=found, json_column="event_data", json_keys=["by", "changed_by"],
        workspace_of=lambda row: (row.event_data or {}).get("workspace_id"),
    )


class Migration(migrations.Migration):

    dependencies = [
        ("leads", "0005_lead_provider_id"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
        ("workspaces", "0006_forwarding_mode_names"),
        ("providers", "0004_reprocessed_object_id"),
    ]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
