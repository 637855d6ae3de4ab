"""`first_match` decided exactly as `priority` (the waterfall's first eligible offer): its
webhooks now say `priority`, and the value is no strategy any more. After distribution 0003,
which gave first-match forwarding webhooks that value."""
from django.db import migrations, models


def first_match_is_priority(apps, schema_editor):
    apps.get_model("providers", "WebhookConfig").objects.filter(distribution_strategy="first_match").update(
        distribution_strategy="priority")


class Migration(migrations.Migration):

    dependencies = [
        ('providers', '0013_webhook_payout_on'),
        ('distribution', '0003_offers_from_forwarding_rules'),
    ]

    operations = [
        migrations.RunPython(first_match_is_priority, migrations.RunPython.noop),
        migrations.RemoveConstraint(
            model_name='webhookconfig',
            name='webhook_configs_distribution_strategy_valid',
        ),
        migrations.AlterField(
            model_name='webhookconfig',
            name='distribution_strategy',
            field=models.CharField(blank=True, choices=[('priority', 'Priority (waterfall)'), ('round_robin', 'Round robin (top priority)'), ('weighted', 'Weighted random'), ('all_matches', 'All matches'), ('highest_price', 'Highest price'), ('multisell', 'Multisell (up to N buyers, or one exclusive)')], help_text="Distribute each accepted lead to buyers' offers by this strategy; blank = do not distribute.", max_length=20),
        ),
        migrations.AddConstraint(
            model_name='webhookconfig',
            constraint=models.CheckConstraint(condition=models.Q(('distribution_strategy__in', ['priority', 'round_robin', 'weighted', 'all_matches', 'highest_price', 'multisell']), ('distribution_strategy', ''), _connector='OR'), name='webhook_configs_distribution_strategy_valid'),
        ),
    ]
