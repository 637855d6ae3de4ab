"""Distribution use cases: distribute a lead (then its forwarding copies), route an appointment,
simulate a lead, pause/resume an offer."""
import logging

from django.db import DatabaseError, connection, transaction
from django.utils import timezone

from leads.events import lead_event_data
from leads.models import AccessHow, Lead, LeadEvent
from leadhub.actors import SYSTEM
from leads.services.access import lead_access_grant
from leads.services.assignment import lead_assign_locked
from providers.models import DistributionStrategy, WebhookConfig
from workspaces.delivery import outbox_emit
from workspaces.forwarding import lead_forward_rules_apply
from workspaces.models import EventType

from .engine import Outcome, decide
from .models import Decision, DecisionResult, Offer, OfferKind

logger = logging.getLogger(__name__)

LOCK_TIMEOUT = "2s"
MAX_ATTEMPTS = 5


def _lead_decide(lead, *, strategy, webhook_id, sender_workspace_id=None, rng=None) -> Outcome:
    """A lead's product is its type, or its `productid` or `service_type` (what forwarding rules,
    now offers, were written against)."""
    return decide(
        kind=OfferKind.LEAD, subject=lead, zip_code=lead.zip_code, state=lead.state,
        product=(lead.lead_type, lead.productid, lead.service_type), strategy=strategy, key=webhook_id,
        sender_workspace_id=sender_workspace_id, held=lead.held_for_consent, rng=rng,
    )


def appointment_decide(*, zip_code: str, product: str, lead=None) -> Outcome:
    """The one buyer of an appointment: the waterfall (`priority`) over appointment offers, which
    include every routing rule's offer. Offer filters read the appointment's lead (none: only
    `absent` filters pass). A lead held for consent does not stop routing; its forward waits
    (appointments.services). Writes nothing."""
    return decide(
        kind=OfferKind.APPOINTMENT, subject=lead, zip_code=zip_code, state=lead.state if lead else "",
        product=product, strategy=DistributionStrategy.PRIORITY, key="appointments",
    )


def _referrer_id(lead):
    """The workspace that referred the lead in (the received event keeps it), or None."""
    event = lead.events.filter(event_type=LeadEvent.RECEIVED).only("event_data").first()
    return (event.event_data or {}).get("sent_from_workspace") if event else None


def lead_distribute(*, lead, strategy: str, sender_workspace_id=None, attempt: int = 1, rng=None):
    """Distribute an unsold lead by `strategy` (its webhook's), in its own transaction, record the
    decision, then queue the copies for the webhook's forwarding rules to external URLs (blank
    `strategy`: only those copies). Never raises: a failure (a lock not granted within
    LOCK_TIMEOUT, a database error) leaves the lead unsold, writes a `failed` decision and queues
    a retry. Returns the decision row (None when nothing was decided)."""
    try:
        if not strategy:
            lead_forward_rules_apply(lead=lead, data=lead_event_data(lead))
            return None
        with transaction.atomic():
            if connection.vendor == "postgresql":
                with connection.cursor() as cursor:
                    cursor.execute(f"SET LOCAL lock_timeout = '{LOCK_TIMEOUT}'")
            lead, decision = _distribute(lead, strategy=strategy, sender_workspace_id=sender_workspace_id, rng=rng)
            lead_forward_rules_apply(lead=lead, data=lead_event_data(lead))
            return decision
    except DatabaseError as exc:
        logger.warning("distribution of lead %s failed (attempt %s): %s", lead.pk, attempt, exc)
        decision = Decision.objects.create(
            lead_id=lead.pk, webhook_id=lead.webhook_id, strategy=strategy, result=DecisionResult.FAILED,
            error=f"{type(exc).__name__}: {exc}"[:2000],
        )
        if attempt < MAX_ATTEMPTS:
            from .tasks import distribute_lead

            transaction.on_commit(lambda: distribute_lead.apply_async(
                args=[lead.pk], kwargs={"attempt": attempt + 1}, countdown=60 * attempt
            ))
        return decision


def _webhook_strategy(webhook_id):
    return WebhookConfig.objects.filter(webhook_id=webhook_id).values_list("distribution_strategy", flat=True).first()


def _distribute(lead, *, strategy, sender_workspace_id, rng):
    """(the lead as now stored, its decision row or None when it already has a buyer)."""
    lead = Lead.objects.select_for_update().get(pk=lead.pk)
    if lead.workspace_id:
        return lead, None
    outcome = _lead_decide(lead, strategy=strategy, webhook_id=lead.webhook_id,
                           sender_workspace_id=sender_workspace_id, rng=rng)
    decision = _decision_create(lead, outcome)
    if outcome.winners:
        first, *others = outcome.winners
        lead = lead_assign_locked(
            lead=lead, workspace=first.offer.workspace, by=SYSTEM, routing_rule_id=first.offer.routing_rule_id
        )
        for other in others:  # all_matches: the other buyers get a copy, as forwarding did
            access = lead_access_grant(lead=lead, workspace=other.offer.workspace, how=AccessHow.FORWARDED, by=SYSTEM)
            outbox_emit(
                workspace=other.offer.workspace, event_type=EventType.LEAD_FORWARDED,
                data={**lead_event_data(lead, access), "offer_id": other.offer.pk}, contact_id=lead.contact_id,
                subject_type="lead", subject_id=lead.pk,
            )
    return lead, decision


def _decision_create(lead, outcome: Outcome) -> Decision:
    return Decision.objects.create(
        lead_id=lead.pk, webhook_id=lead.webhook_id, strategy=outcome.strategy,
        result=DecisionResult.ASSIGNED if outcome.winners else DecisionResult.UNSOLD,
        workspace_ids=[c.offer.workspace_id for c in outcome.winners],
        offer_ids=[c.offer.pk for c in outcome.winners],
        candidates=[c.as_row() for c in outcome.candidates], refused=outcome.refused,
    )


def lead_distribute_retry(*, lead_id, attempt: int):
    lead = Lead.objects.filter(pk=lead_id).first()
    if lead is None or lead.workspace_id:
        return None
    return lead_distribute(
        lead=lead, strategy=_webhook_strategy(lead.webhook_id) or "", sender_workspace_id=_referrer_id(lead),
        attempt=attempt,
    )


def lead_simulate(*, lead, strategy: str) -> Outcome:
    """The decision table for a lead (saved or not) without distributing it. Round robin is shown
    as the offers it rotates among (the position is not moved)."""
    shown = DistributionStrategy.ALL_MATCHES if strategy == DistributionStrategy.ROUND_ROBIN else strategy
    sender = _referrer_id(lead) if lead.pk else None
    with transaction.atomic():
        outcome = _lead_decide(lead, strategy=shown, webhook_id=lead.webhook_id, sender_workspace_id=sender)
    if strategy == DistributionStrategy.ROUND_ROBIN and outcome.winners:
        top = outcome.winners[0].offer.priority
        outcome.winners = [c for c in outcome.winners if c.offer.priority == top]
    outcome.strategy = strategy
    return outcome


@transaction.atomic
def offer_pause(*, offer: Offer) -> Offer:
    offer = Offer.objects.select_for_update().get(pk=offer.pk)
    if offer.paused_at is None:
        offer.paused_at = timezone.now()
        offer.save(update_fields=["paused_at", "updated_at"])
    return offer


@transaction.atomic
def offer_resume(*, offer: Offer) -> Offer:
    offer = Offer.objects.select_for_update().get(pk=offer.pk)
    if offer.paused_at is not None:
        offer.paused_at = None
        offer.save(update_fields=["paused_at", "updated_at"])
    return offer
