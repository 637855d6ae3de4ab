"""Leads are sold by offers only: routing rules route appointments, forwarding rules send copies
to external URLs, and a $0 price needs a `zero_price_reason`.

Before, every routing rule was also an offer for leads and appointments, and every forwarding
rule to a workspace a lead offer, both at $0: a buyer got leads free through them. An install
keeps routing exactly as before, but each of those free lead offers is now visible and editable:

- A routing rule's offer of leads and appointments keeps its row (its id, sales, caps, filters,
  price adjustments and pause stay with the leads it sold) and becomes an ordinary lead offer,
  detached from the rule; the rule gets a new appointment offer with the rule's values, age and
  the old offer's appointment price and pause, so appointments route as before.
- A forwarding rule's lead offer stays (same id, filter on the webhook, priority, age, active
  or not) as an ordinary lead offer; it names the rule in `forwarding_rule` as history only,
  and nothing keeps them equal any more. The rule itself stays as it is: a rule to a workspace
  sends no lead (it never did by itself), but still lists the workspace as a direct target
  the webhook's appointments may name, so switching it off or deleting it would have broken
  those appointments.
- Each such offer at $0 gets the reason "migrated from routing rule N" (or "forwarding rule N"),
  and so does a rule's appointment offer at $0; the offers admin lists every live $0 offer as a
  warning until ops price or pause it.
"""
import django.db.models.deletion
from django.db import migrations, models


def rule_offers_to_plain_offers(apps, schema_editor):
    from distribution.models import where_values

    Offer = apps.get_model("distribution", "Offer")
    OfferWhere = apps.get_model("distribution", "OfferWhere")
    OfferProduct = apps.get_model("distribution", "OfferProduct")

    def reindex(offer):
        """The offer's where rows for its kind (products do not change)."""
        offer.where_rows.all().delete()
        OfferWhere.objects.bulk_create([OfferWhere(offer=offer, **row) for row in where_values(offer)])

    for offer in Offer.objects.filter(routing_rule__isnull=False).select_related("routing_rule").order_by("id"):
        rule = offer.routing_rule
        reason = f"migrated from routing rule {rule.pk}"
        if offer.kind == "appointment":
            if offer.appointment_price == 0 and not offer.zero_price_reason:
                Offer.objects.filter(pk=offer.pk).update(zero_price_reason=reason)
            continue
        offer.routing_rule = None
        offer.kind = "lead"
        offer.name = f"leads, was routing rule #{rule.pk}"
        if offer.price == 0 and not offer.zero_price_reason:
            offer.zero_price_reason = reason
        offer.save(update_fields=["routing_rule", "kind", "name", "zero_price_reason"])
        reindex(offer)
        appointments = Offer.objects.create(
            workspace_id=offer.workspace_id, routing_rule=rule, kind="appointment", name=f"routing rule #{rule.pk}",
            products=list(rule.product_types), zip_codes=list(rule.zip_codes), priority=rule.priority,
            is_active=rule.is_active, paused_at=offer.paused_at, appointment_price=offer.appointment_price,
            zero_price_reason=reason if offer.appointment_price == 0 else "",
        )
        Offer.objects.filter(pk=appointments.pk).update(created_at=rule.created_at)
        appointments.created_at = rule.created_at
        reindex(appointments)
        OfferProduct.objects.bulk_create(
            [OfferProduct(offer=appointments, product=row.product) for row in offer.product_rows.all()],
            ignore_conflicts=True,
        )

    for offer in Offer.objects.filter(forwarding_rule__isnull=False, price=0, zero_price_reason=""):
        Offer.objects.filter(pk=offer.pk).update(zero_price_reason=f"migrated from forwarding rule {offer.forwarding_rule_id}")


class Migration(migrations.Migration):

    dependencies = [
        ('distribution', '0005_unsold_lead_queue'),
        ('workspaces', '0014_outbound_event_held'),
    ]

    operations = [
        migrations.AddField(
            model_name='offer',
            name='zero_price_reason',
            field=models.CharField(blank=True, help_text='Why this offer sells at $0 (required when its price is 0); ops see every $0 offer as a warning.', max_length=200),
        ),
        migrations.AlterField(
            model_name='offer',
            name='forwarding_rule',
            field=models.OneToOneField(blank=True, help_text='The forwarding rule this lead offer was migrated from (history only: nothing keeps them equal).', null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='offer', to='workspaces.leadforwardingrule'),
        ),
        migrations.RunPython(rule_offers_to_plain_offers, migrations.RunPython.noop),
    ]
