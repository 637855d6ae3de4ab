"""Whether a refused post's sender proved who it is, and who took an unproven one as proven to
re-process it. Rows kept before this recorded nothing: those refused before or at the provider's
identity check (its webhook, size and type checks come first) are marked unproven, so their
re-processing asks too."""
from django.db import migrations, models

# Stored reason codes of the refusals the gate makes before a provider has proved its id and key.
REFUSED_BEFORE_PROOF = [
    "body_too_large", "unsupported_media_type", "webhook_not_found", "provider_id_missing", "provider_unknown",
    "provider_inactive", "api_key_missing", "api_key_invalid", "webhook_not_allowed",
]


def mark_unproven(apps, schema_editor):
    apps.get_model("providers", "RejectedSubmission").objects.filter(reason_code__in=REFUSED_BEFORE_PROOF).update(
        sender_authenticated=False)


class Migration(migrations.Migration):

    dependencies = [
        ('providers', '0015_rejected_client_bucket'),
    ]

    operations = [
        migrations.AddField(
            model_name='rejectedsubmission',
            name='sender_authenticated',
            field=models.BooleanField(default=True),
        ),
        migrations.AddField(
            model_name='rejectedsubmission',
            name='sender_confirmed_at',
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name='rejectedsubmission',
            name='sender_confirmed_by',
            field=models.CharField(blank=True, max_length=255),
        ),
        migrations.RunPython(mark_unproven, migrations.RunPython.noop),
    ]
