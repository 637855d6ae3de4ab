"""Audit columns of conversion events, voids, currency rates in the one actor form of leadhub.actors.

The mapping of the old forms is leadhub.legacy_actors.legacy_actor.
"""
from django.conf import settings
from django.db import migrations

from leadhub.legacy_actors import actor_lookups, actors_rewrite


def forwards(apps, schema_editor):
    found = actor_lookups(apps)
    actors_rewrite(apps.get_model("conversions", "Conversion"), lookups=found, columns=["voided_by"])
    actors_rewrite(apps.get_model("conversions", "ConversionEvent"), lookups=found, columns=["created_by"])
    actors_rewrite(apps.get_model("conversions", "CurrencyRate"), lookups=found, columns=["updated_by"])


class Migration(migrations.Migration):

    dependencies = [
        ("conversions", "0004_idempotency_key_survives_purge"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
        ("workspaces", "0006_forwarding_mode_names"),
        ("providers", "0004_reprocessed_object_id"),
    ]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
