"""Each appointment routing rule becomes an offer (leads and appointments, as the rule served
both), with the rule's age so tie-breaks do not move; the rule table keeps its meaning because
`distribution.receivers` keeps each rule's offer equal to it from now on."""
from django.db import migrations


def rules_to_offers(apps, schema_editor):
    from distribution.models import OfferKind, product_values, where_values

    Rule = apps.get_model("workspaces", "AppointmentRoutingRule")
    Offer = apps.get_model("distribution", "Offer")
    OfferWhere = apps.get_model("distribution", "OfferWhere")
    OfferProduct = apps.get_model("distribution", "OfferProduct")
    for rule in Rule.objects.order_by("id").iterator():
        offer = Offer.objects.create(
            workspace_id=rule.workspace_id, routing_rule=rule, kind=OfferKind.ANY, name=f"routing rule #{rule.pk}",
            products=list(rule.product_types), zip_codes=list(rule.zip_codes), priority=rule.priority,
            is_active=rule.is_active,
        )
        Offer.objects.filter(pk=offer.pk).update(created_at=rule.created_at)
        offer.created_at = rule.created_at
        offer.states, offer.radius_zip = [], ""
        OfferWhere.objects.bulk_create([OfferWhere(offer=offer, **row) for row in where_values(offer)])
        OfferProduct.objects.bulk_create([OfferProduct(offer=offer, product=p) for p in product_values(offer)])


class Migration(migrations.Migration):
    dependencies = [
        ("distribution", "0001_initial"),
        ("workspaces", "0011_workspace_time_zone"),
    ]

    operations = [migrations.RunPython(rules_to_offers, migrations.RunPython.noop)]
