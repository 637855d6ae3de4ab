"""Each forwarding rule that targets a workspace becomes a lead offer of that workspace for its
webhook's leads (a `webhook_id eq` filter), with the rule's products, ZIPs, states, priority and
age; its webhook, when it has no strategy, takes the forwarding mode as one (`first_match` /
`all_matches`). Rules to external URLs stay rules: their copies are sent after the decision.
`distribution.receivers` keeps each rule's offer equal to it from now on."""
from django.db import migrations

MODE_STRATEGY = {"first-match": "first_match", "all-matches": "all_matches"}


def forwarding_rules_to_offers(apps, schema_editor):
    from distribution.models import OfferKind, product_values, where_values

    Rule = apps.get_model("workspaces", "LeadForwardingRule")
    Config = apps.get_model("workspaces", "LeadForwardingConfig")
    WebhookConfig = apps.get_model("providers", "WebhookConfig")
    Offer = apps.get_model("distribution", "Offer")
    OfferWhere = apps.get_model("distribution", "OfferWhere")
    OfferProduct = apps.get_model("distribution", "OfferProduct")
    OfferFilter = apps.get_model("distribution", "OfferFilter")
    configs = {config.webhook_id: config for config in Config.objects.all()}

    def listed(values):
        return [str(v).strip() for v in values if str(v).strip() and str(v).strip() != "*"]

    for rule in Rule.objects.filter(target_workspace__isnull=False).order_by("id").iterator():
        config = configs.get(rule.webhook_id)
        offer = Offer.objects.create(
            workspace_id=rule.target_workspace_id, forwarding_rule=rule, kind=OfferKind.LEAD,
            name=rule.name or f"forwarding rule #{rule.pk}", products=listed(rule.product_types),
            zip_codes=list(rule.zip_codes), states=[s.upper() for s in listed(rule.states)], priority=rule.priority,
            is_active=rule.is_active and (config is None or config.is_enabled),
        )
        Offer.objects.filter(pk=offer.pk).update(created_at=rule.created_at)
        offer.created_at = rule.created_at
        OfferWhere.objects.bulk_create([OfferWhere(offer=offer, **row) for row in where_values(offer)])
        OfferProduct.objects.bulk_create([OfferProduct(offer=offer, product=p) for p in product_values(offer)], ignore_conflicts=True)
        OfferFilter.objects.create(offer=offer, column="webhook_id", op="eq", value=rule.webhook_id)
        mode = config.mode if config is not None else "first-match"
        WebhookConfig.objects.filter(webhook_id=rule.webhook_id, distribution_strategy="").update(
            distribution_strategy=MODE_STRATEGY[mode]
        )


class Migration(migrations.Migration):
    dependencies = [
        ("distribution", "0002_offers_from_rules"),
        ("providers", "0010_distribution_strategy"),
        ("workspaces", "0012_routing_rules_matched_by_offers"),
    ]

    operations = [migrations.RunPython(forwarding_rules_to_offers, migrations.RunPython.noop)]
