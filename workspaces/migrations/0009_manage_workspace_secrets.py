from django.db import migrations

from leadhub.roles import sync_role_groups


def grant_to_roles(apps, schema_editor):
    sync_role_groups(apps, using=schema_editor.connection.alias)


class Migration(migrations.Migration):
    dependencies = [
        ("workspaces", "0008_actor_one_form"),
        ("analytics", "0002_staff_role_groups"),
    ]

    operations = [
        migrations.AlterModelOptions(
            name="workspace",
            options={
                "ordering": ["id"],
                "permissions": [
                    ("manage_workspace_secrets", "Can rotate secrets and change the outbound webhook URL")
                ],
            },
        ),
        # Operations gets the new permission now (the post-migrate hook would too); analysts do not.
        migrations.RunPython(grant_to_roles, migrations.RunPython.noop),
    ]
