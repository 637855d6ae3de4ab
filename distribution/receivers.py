"""Hooks into the apps below: ingest asks for distribution, and the rule tables stay offers.

Leads and workspaces cannot import distribution (it sits above them), so they send signals and
this module, loaded by DistributionConfig.ready, answers them. A routing rule, and a forwarding
rule that targets a workspace, each have one offer kept equal to it here, so the rule tables keep
their meaning while the one engine reads only offers.
"""
from django.db import transaction
from django.db.models.signals import post_save
from django.dispatch import receiver

from leads.signals import lead_accepted, lead_released, lead_replayed
from providers.models import DistributionStrategy, WebhookConfig
from workspaces.models import (
    AppointmentRoutingRule,
    DeliveryStatus,
    EventType,
    ForwardingMode,
    LeadForwardingConfig,
    LeadForwardingRule,
    OutboundEvent,
)
from workspaces.signals import delivery_recorded

from .models import DecisionResult, FilterOp, Offer, OfferFilter, OfferKind
from .selectors import NOTHING_BOOKED, lead_payout_booked
from .services import lead_distribute, lead_distribute_as_arrived, sale_undelivered_credit

# A forwarding config's mode is its webhook's strategy (what forwarding did is what these do).
MODE_STRATEGY = {
    ForwardingMode.FIRST_MATCH: DistributionStrategy.FIRST_MATCH,
    ForwardingMode.ALL_MATCHES: DistributionStrategy.ALL_MATCHES,
}


@receiver(lead_accepted, dispatch_uid="distribution.lead_accepted")
def distribute_accepted_lead(sender, *, lead, webhook, sent_from_workspace=None, **kwargs):
    """Distribute the lead; the answer (`sold`, and `price`: the source's payout booked for it,
    never the buyer's price) goes into the webhook answer's disposition."""
    decision = lead_distribute(
        lead=lead, strategy=webhook.distribution_strategy, webhook=webhook,
        sender_workspace_id=sent_from_workspace.pk if sent_from_workspace else None,
    )
    sold = decision is not None and decision.result == DecisionResult.ASSIGNED
    price = getattr(decision, "payout", None)
    if price is None and webhook.payout_kind:
        price = NOTHING_BOOKED  # terms, but nothing decided or booked (no strategy, a failed decision)
    return {"sold": sold, "price": price}


@receiver(lead_replayed, dispatch_uid="distribution.lead_replayed")
def replayed_lead_price(sender, *, lead, webhook, **kwargs):
    """A replay answers the payout booked for the lead, as the original answer did."""
    return {"price": lead_payout_booked(lead=lead, webhook=webhook)}


@receiver(lead_released, dispatch_uid="distribution.lead_released")
def distribute_released_lead(sender, *, lead, **kwargs):
    """A lead's last hold was released: it is distributed as if it had just arrived."""
    decision = lead_distribute_as_arrived(lead=lead)
    words = decision.summary if decision is not None else "forwarding copies queued (the webhook distributes nothing)"
    return {"distribution": f"distribution: {words}"}


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


def offer_values_from_forwarding_rule(rule, *, enabled: bool) -> dict:
    """The offer a forwarding rule to a workspace is: that webhook's leads (a `webhook_id eq`
    filter), its products, ZIPs, states and priority; off with the rule or the webhook's
    forwarding switch. `*` means any, as an empty list does for an offer."""
    def listed(values):
        return [str(v).strip() for v in values if str(v).strip() and str(v).strip() != "*"]

    return {
        "workspace_id": rule.target_workspace_id, "kind": OfferKind.LEAD,
        "name": rule.name or f"forwarding rule #{rule.pk}", "products": listed(rule.product_types),
        "zip_codes": list(rule.zip_codes), "states": [s.upper() for s in listed(rule.states)],
        "priority": rule.priority, "is_active": rule.is_active and enabled,
    }


def _offer_sync(offer, values, *, created_at):
    """Save the offer with `values` and its source rule's age (the tie-break stays the rule's)."""
    for name, value in values.items():
        setattr(offer, name, value)
    offer.save()
    if offer.created_at != created_at:
        Offer.objects.filter(pk=offer.pk).update(created_at=created_at)
        offer.where_rows.update(offer_created_at=created_at)
        offer.created_at = created_at
    return offer


@receiver(post_save, sender=AppointmentRoutingRule, dispatch_uid="distribution.routing_rule_saved")
def routing_rule_to_offer(sender, *, instance, raw=False, **kwargs):
    if raw:
        return
    offer = Offer.objects.filter(routing_rule=instance).first() or Offer(routing_rule=instance)
    _offer_sync(offer, offer_values_from_rule(instance), created_at=instance.created_at)


@receiver(post_save, sender=LeadForwardingRule, dispatch_uid="distribution.forwarding_rule_saved")
def forwarding_rule_to_offer(sender, *, instance, raw=False, **kwargs):
    if raw:
        return
    with transaction.atomic():
        _forwarding_rule_sync(instance, config=LeadForwardingConfig.objects.filter(webhook_id=instance.webhook_id).first())


@receiver(post_save, sender=LeadForwardingConfig, dispatch_uid="distribution.forwarding_config_saved")
def forwarding_config_to_offers(sender, *, instance, raw=False, **kwargs):
    if raw:
        return
    with transaction.atomic():
        for rule in LeadForwardingRule.objects.filter(webhook_id=instance.webhook_id, target_workspace__isnull=False):
            _forwarding_rule_sync(rule, config=instance)


def _forwarding_rule_sync(rule, *, config):
    """A rule to a workspace has its offer (and its webhook a strategy: the forwarding mode, unless
    ops chose another); a rule to an external URL has none."""
    offer = Offer.objects.filter(forwarding_rule=rule).first()
    if rule.target_workspace_id is None:
        if offer is not None:
            offer.delete()
        return
    enabled = config is None or config.is_enabled
    offer = _offer_sync(
        offer or Offer(forwarding_rule=rule), offer_values_from_forwarding_rule(rule, enabled=enabled),
        created_at=rule.created_at,
    )
    OfferFilter.objects.update_or_create(
        offer=offer, column="webhook_id", defaults={"op": FilterOp.EQ, "value": rule.webhook_id}
    )
    mode = config.mode if config is not None else ForwardingMode.FIRST_MATCH
    WebhookConfig.objects.filter(
        webhook_id=rule.webhook_id, distribution_strategy__in=["", *MODE_STRATEGY.values()]
    ).update(distribution_strategy=MODE_STRATEGY[mode])
