"""Hooks into the apps below: ingest hands a lead over for distribution, and routing rules stay
appointment offers.

Leads and workspaces cannot import distribution (it sits above them), so they send signals and
this module, loaded by DistributionConfig.ready, answers them; ingest's handoff is no signal but
the one distributor DistributionConfig.ready registers (`leads.handoff`), whose Disposition is
the webhook answer's `sold` and `price`. A routing rule has one appointment
offer kept equal to it here, so the rule table keeps its meaning while the one engine reads only
offers. Forwarding rules make no offer: they send copies to external URLs
(`workspaces.forwarding`); leads go to a workspace only through its lead offers.
"""
import copy

from django.db.models.signals import post_save
from django.dispatch import receiver

from leads.models import Lead
from leads.handoff import Disposition
from leads.holds import EVIDENCE
from leads.signals import lead_released
from workspaces.models import AppointmentRoutingRule, DeliveryStatus, EventType, OutboundEvent
from workspaces.signals import delivery_recorded

from .models import DecisionResult, Offer, OfferKind, zero_priced
from .selectors import NOTHING_BOOKED, lead_payout_booked, undecided_leads
from .services import lead_distribute, lead_distribute_as_arrived, lead_simulate, sale_undelivered


def distribute_accepted_lead(*, lead, webhook, sent_from_workspace=None) -> Disposition:
    """Distribute the lead; the answer (`sold`, and `price`: the source's payout booked for it,
    never the buyer's price) is the webhook answer's disposition."""
    decision = lead_distribute(
        lead=lead, strategy=webhook.distribution_strategy, webhook=webhook,
        sender_workspace_id=sent_from_workspace.pk if sent_from_workspace else None,
    )
    sold = decision is not None and decision.result == DecisionResult.ASSIGNED
    price = getattr(decision, "payout", None)
    if price is None and webhook.payout_kind:
        price = NOTHING_BOOKED  # terms, but nothing decided or booked (no strategy, a failed decision)
    return Disposition(sold=sold, price=price)


def replayed_lead_price(*, lead, webhook) -> Disposition:
    """A replay answers the payout booked for the lead, as the original answer did, and whether it
    is sold. A lead its post left without a decision (`undecided_leads`: the database went away
    after the lead was stored) is distributed now, and the replay answers what that distribution
    booked."""
    sold = lead.workspace_id is not None
    if (not sold and not lead.hold_reasons and webhook.distribution_strategy
            and undecided_leads().filter(pk=lead.pk).exists()):
        decision = lead_distribute_as_arrived(lead=lead)
        sold = (decision.result == DecisionResult.ASSIGNED if decision is not None  # None: sold meanwhile
                else Lead.objects.filter(pk=lead.pk, workspace__isnull=False).exists())
    return Disposition(sold=sold, price=lead_payout_booked(lead=lead, webhook=webhook))


def lead_wanted_by(*, lead) -> str | None:
    """The buyer whose offer would take a lead held only for its consent evidence, were it
    released: the dry run of its webhook's distribution (`lead_simulate`) on a copy without that
    hold; None when no offer would (or the webhook distributes nothing)."""
    released = copy.copy(lead)
    released.hold_reasons = ",".join(code for code in lead.hold_reasons.split(",") if code and code != EVIDENCE)
    winners = lead_simulate(lead=released).winners
    return winners[0].offer.workspace.name if winners else None


@receiver(lead_released, dispatch_uid="distribution.lead_released")
def distribute_released_lead(sender, *, lead, **kwargs):
    """A lead's last hold was released: it is distributed as if it had just arrived."""
    decision = lead_distribute_as_arrived(lead=lead)
    words = decision.summary if decision is not None else "forwarding copies queued (the webhook distributes nothing)"
    return {"distribution": f"distribution: {words}"}


@receiver(delivery_recorded, sender=OutboundEvent, dispatch_uid="distribution.sale_undelivered")
def credit_undelivered_sale(sender, *, event, **kwargs):
    """A sold lead's delivery to its buyer finally failed, or was refused when it came due (the
    lead suppressed for the buyer while the delivery waited for a calling window): the buyer does
    not keep it (credited, revoked, excluded; the lead is offered again without it)."""
    sold_lead = event.subject_type == "lead" and event.event_type in (
        EventType.LEAD_ASSIGNED, EventType.LEAD_FORWARDED, EventType.LEAD_SOLD)
    if sold_lead and event.status in (DeliveryStatus.FAILED, DeliveryStatus.REFUSED) and event.workspace_id:
        sale_undelivered(lead_id=int(event.subject_id), workspace_id=event.workspace_id)


def offer_values_from_rule(rule) -> dict:
    """The offer a routing rule is: appointments only (leads are sold by lead offers), its
    products, ZIPs and priority."""
    return {
        "workspace_id": rule.workspace_id, "kind": OfferKind.APPOINTMENT, "name": f"routing rule #{rule.pk}",
        "products": list(rule.product_types), "zip_codes": list(rule.zip_codes), "priority": rule.priority,
        "is_active": rule.is_active,
    }


@receiver(post_save, sender=AppointmentRoutingRule, dispatch_uid="distribution.routing_rule_saved")
def routing_rule_to_offer(sender, *, instance, raw=False, **kwargs):
    """Keep the rule's appointment offer equal to it, with the rule's age (the tie-break stays the
    rule's). A new rule's offer has no appointment price yet: it says so as its $0 reason, so the
    offers admin lists it until ops price it."""
    if raw:
        return
    offer = Offer.objects.filter(routing_rule=instance).first() or Offer(routing_rule=instance)
    for name, value in offer_values_from_rule(instance).items():
        setattr(offer, name, value)
    if zero_priced(offer) and not offer.zero_price_reason:
        offer.zero_price_reason = f"made from routing rule {instance.pk}, not priced yet"
    offer.save()
    if offer.created_at != instance.created_at:
        Offer.objects.filter(pk=offer.pk).update(created_at=instance.created_at)
        offer.where_rows.update(offer_created_at=instance.created_at)
