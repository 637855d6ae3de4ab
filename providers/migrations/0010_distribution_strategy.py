"""Webhooks choose a distribution strategy; `auto_assign` webhooks become strategy `priority`
(the routing rules they assigned by are offers now: distribution 0002)."""
from django.db import migrations, models


def auto_assign_to_priority(apps, schema_editor):
    apps.get_model("providers", "WebhookConfig").objects.filter(auto_assign=True).update(
        distribution_strategy="priority"
    )


def priority_to_auto_assign(apps, schema_editor):
    apps.get_model("providers", "WebhookConfig").objects.exclude(distribution_strategy="").update(auto_assign=True)


class Migration(migrations.Migration):

    dependencies = [
        ("providers", "0009_signature_receipts_rejected_ip_index"),
    ]

    operations = [
        migrations.AddField(
            model_name='webhookconfig',
            name='distribution_strategy',
            field=models.CharField(blank=True, choices=[('priority', 'Priority (waterfall)'), ('round_robin', 'Round robin (top priority)'), ('weighted', 'Weighted random'), ('first_match', 'First match'), ('all_matches', 'All matches')], help_text="Distribute each accepted lead to buyers' offers by this strategy; blank = do not distribute.", max_length=20),
        ),
        migrations.RunPython(auto_assign_to_priority, priority_to_auto_assign),
        migrations.RemoveField(
            model_name='webhookconfig',
            name='auto_assign',
        ),
        migrations.AddConstraint(
            model_name='webhookconfig',
            constraint=models.CheckConstraint(condition=models.Q(('distribution_strategy__in', ['priority', 'round_robin', 'weighted', 'first_match', 'all_matches']), ('distribution_strategy', ''), _connector='OR'), name='webhook_configs_distribution_strategy_valid'),
        ),
    ]
