"""Audit columns of contact purges and contact events in the one actor form of leadhub.actors.

The mapping of the old forms is leadhub.legacy_actors.legacy_actor.
"""
from django.conf import settings
from django.db import migrations

from leadhub.legacy_actors import actor_lookups, actors_rewrite


def forwards(apps, schema_editor):
    found = actor_lookups(apps)
    actors_rewrite(apps.get_model("contacts", "ContactPurge"), lookups=found, columns=["performed_by"])
    actors_rewrite(
        apps.get_model("contacts", "ContactEvent"), lookups=found, json_column="event_data", json_keys=["by"]
    )


class Migration(migrations.Migration):

    dependencies = [
        ("contacts", "0002_contact_merge"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
        ("workspaces", "0006_forwarding_mode_names"),
        ("providers", "0004_reprocessed_object_id"),
    ]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
