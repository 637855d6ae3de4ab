"""Audit columns of webhook config deletions and their events in the one actor form of leadhub.actors.

The mapping of the old forms is leadhub.legacy_actors.legacy_actor.
"""
from django.conf import settings
from django.db import migrations

from leadhub.legacy_actors import actor_lookups, actors_rewrite


def forwards(apps, schema_editor):
    found = actor_lookups(apps)
    actors_rewrite(apps.get_model("providers", "WebhookConfig"), lookups=found, columns=["deleted_by"])
    actors_rewrite(apps.get_model("providers", "WebhookConfigEvent"), lookups=found, columns=["created_by"])


class Migration(migrations.Migration):

    dependencies = [
        ("providers", "0005_key_rotation_grace"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
        ("workspaces", "0008_actor_one_form"),
    ]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
