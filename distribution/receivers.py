"""Hooks into the apps below: ingest asks for distribution, and routing rules stay offers.

Leads and workspaces cannot import distribution (it sits above them), so they send signals and
this module, loaded by DistributionConfig.ready, answers them.
"""
from django.db.models.signals import post_save
from django.dispatch import receiver

from leads.signals import lead_accepted
from workspaces.models import AppointmentRoutingRule, DeliveryStatus, EventType, OutboundEvent
from workspaces.signals import delivery_recorded

from .models import DecisionResult, Offer, OfferKind
from .services import lead_distribute, sale_undelivered_credit


@receiver(lead_accepted, dispatch_uid="distribution.lead_accepted")
def distribute_accepted_lead(sender, *, lead, webhook, sent_from_workspace=None, **kwargs):
    """Distribute the lead; the answer (`sold`, and `price`: the source's payout, never the
    buyer) goes into the webhook answer's disposition."""
    decision = lead_distribute(
        lead=lead, strategy=webhook.distribution_strategy, webhook=webhook,
        sender_workspace_id=sent_from_workspace.pk if sent_from_workspace else None,
    )
    sold = decision is not None and decision.result == DecisionResult.ASSIGNED
    return {"sold": sold, "price": getattr(decision, "payout", None)}


@receiver(delivery_recorded, sender=OutboundEvent, dispatch_uid="distribution.sale_undelivered")
def credit_undelivered_sale(sender, *, event, **kwargs):
    """A sold lead's delivery to its buyer finally failed: the buyer is credited the sale."""
    sold_lead = event.subject_type == "lead" and event.event_type in (EventType.LEAD_ASSIGNED, EventType.LEAD_FORWARDED)
    if sold_lead and event.status == DeliveryStatus.FAILED and event.workspace_id:
        sale_undelivered_credit(lead_id=event.subject_id, workspace_id=event.workspace_id)


def offer_values_from_rule(rule) -> dict:
    """The offer a routing rule is: leads and appointments, its products, ZIPs and priority."""
    return {
        "workspace_id": rule.workspace_id, "kind": OfferKind.ANY, "name": f"routing rule #{rule.pk}",
        "products": list(rule.product_types), "zip_codes": list(rule.zip_codes), "priority": rule.priority,
        "is_active": rule.is_active,
    }


@receiver(post_save, sender=AppointmentRoutingRule, dispatch_uid="distribution.routing_rule_saved")
def routing_rule_to_offer(sender, *, instance, raw=False, **kwargs):
    """Keep the rule's offer equal to it (the offer keeps the rule's age, for the tie-break)."""
    if raw:
        return
    offer = Offer.objects.filter(routing_rule=instance).first() or Offer(routing_rule=instance)
    for name, value in offer_values_from_rule(instance).items():
        setattr(offer, name, value)
    offer.save()
    if offer.created_at != instance.created_at:
        Offer.objects.filter(pk=offer.pk).update(created_at=instance.created_at)
        offer.where_rows.update(offer_created_at=instance.created_at)
