"""Staff roles as groups: "Operations" (full use of the business data) and "Read-only analyst"
(view only; the admin lets viewers export CSV). Depends on every app's migrations so their
permissions exist; models added later are given to the roles by the post-migrate hook that
shares `sync_role_groups`."""
from django.db import migrations

from leadhub.roles import OPERATIONS, READ_ONLY_ANALYST, sync_role_groups


def create_role_groups(apps, schema_editor):
    sync_role_groups(apps, using=schema_editor.connection.alias)


def delete_role_groups(apps, schema_editor):
    apps.get_model("auth", "Group").objects.using(schema_editor.connection.alias).filter(
        name__in=[OPERATIONS, READ_ONLY_ANALYST]
    ).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("analytics", "0001_initial"),
        ("appointments", "0002_appointment_leads_unrouted"),
        ("contacts", "0002_contact_merge"),
        ("conversions", "0004_idempotency_key_survives_purge"),
        ("leads", "0003_lead_held_for_consent"),
        ("providers", "0002_rejectedsubmission"),
        ("workspaces", "0003_outbound_delivery"),
    ]

    operations = [migrations.RunPython(create_role_groups, delete_role_groups)]
