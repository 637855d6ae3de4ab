"""Distribution use cases: distribute (sell) a lead (then its forwarding copies), route an
appointment, simulate a lead, pause/resume an offer."""
import logging
from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import DatabaseError, connection, transaction
from django.utils import timezone

from leadhub.actors import SYSTEM
from leadhub.celery import task_run_later
from leadhub.errors import ServiceRefusal, errors_message
from leads.gate import lead_copies_send
from leads.models import Lead, LeadEvent
from leads.services.access import lead_access_revoke
from ledger.models import Balance, Entry, EntryKind
from ledger.selectors import funds_available
from ledger.services import Draft, lead_dimensions, ledger_entries_record
from providers.models import PayoutOn, WebhookConfig
from workspaces.models import BillingMode
from workspaces.zips import zip_state

from .caps import window_start
from .engine import ELIGIBLE, MULTISELL_BUYERS, Outcome, decide, funds_cover, prices_for
from .models import Decision, DecisionResult, Offer, OfferKind, Sale, zero_priced
from .schedule import schedule_open
from .selectors import lead_sales_standing, leads_without_strategy, payout_reference, undecided_leads, unsold_leads
from .selling import ClaimRefused, Purchase, Refusals, sales_make
from .strategies import PRIORITY, STRATEGIES, shared_strategies, strategy_get
from .verdicts import Check, Verdict, verdict_words

logger = logging.getLogger(__name__)

LOCK_TIMEOUT = "2s"
MAX_ATTEMPTS = 5
# A lead its post stored without a decision is the sweeper's once it is this old (its post's own
# distribution has long ended), up to UNDECIDED_MAX_AGE (older ones: ops' unsold work, not a sale).
UNDECIDED_GRACE = timedelta(seconds=30)
UNDECIDED_MAX_AGE = timedelta(days=1)
# A distribution's own error, not the database's: the same lead fails the same way every time
# (a price plus its adjustments past the money limit), so it is recorded and never retried.
PERMANENT_ERRORS = (ValidationError, ServiceRefusal)


class DistributionInvalid(ServiceRefusal):
    """An ops step on distribution refused, named per field (a chargeback without its reason, an
    offer resumed at 0 with no zero_price_reason): the API's 422 `validation`."""

    code = "validation"

    def __init__(self, errors: dict):
        super().__init__(errors_message(errors), errors=errors)


def lead_decide(lead, *, strategy, webhook_id, sender_workspace_id=None, rng=None, at=None,
                 max_buyers=MULTISELL_BUYERS) -> Outcome:
    """A lead's product is its type, or its `productid` or `service_type` (what forwarding rules,
    now offers, were written against)."""
    return decide(
        kind=OfferKind.LEAD, subject=lead, zip_code=lead.zip_code, state=lead.state,
        product=lead.products, strategy=strategy, key=webhook_id,
        sender_workspace_id=sender_workspace_id, held=lead.hold_reasons.split(",")[0],
        excluded=frozenset(lead.excluded_buyers), rng=rng, at=at, max_buyers=max_buyers,
    )


def appointment_decide(*, zip_code: str, product: str, lead=None, at=None) -> Outcome:
    """The one buyer of an appointment: the waterfall (`priority`) over appointment offers, which
    include every routing rule's offer. Offer filters read the appointment's lead (none: only
    `absent` filters pass; its state, or its ZIP's without one). Writes nothing."""
    return decide(
        kind=OfferKind.APPOINTMENT, subject=lead, zip_code=zip_code, state=lead.state if lead else zip_state(zip_code),
        product=product, strategy=PRIORITY, key="appointments", at=at,
    )


NOT_THE_LEADS_BUYER = Verdict(Check.NOT_THE_LEADS_BUYER)


def appointment_sell(*, appointment, leads, by: str, webhook=None, only=None, at=None):
    """Route `appointment` (saved, unrouted, covering `leads`, locked by the caller) to its one
    buyer and sell it there through the one sale path: at the offer's `appointment_price` plus
    its price adjustments, claiming its caps (a full cap sends it to the next offer). Also books
    the source's payout of `webhook` when due (`accepted`: now; `sold`: with the sale).

    Whose it may be: the lead's own buyers when the lead was sold exclusively (its exclusive
    buyer) or to several (multisell: one of them), so an appointment never hands a lead's person
    to a buyer that did not buy it; `only`, a workspace ops or the caller chose. When none of those
    has an eligible appointment offer, the appointment still goes to that buyer, unsold: a free
    follow-up of its own lead, or the chosen workspace, and `routing_method` says so. `only` is
    not honoured against the lead's own buyers. Returns (workspace or None, routing_method, sold)."""
    at = at or timezone.now()
    lead = appointment.lead
    buyers, fallback, why = _appointment_buyers(lead, only=only)
    refused = Refusals()
    while True:
        outcome = appointment_decide(zip_code=appointment.customer_zip, product=appointment.service_type, lead=lead,
                                     at=at)
        for candidate in outcome.eligible:
            if buyers is not None and candidate.offer.workspace_id not in buyers:
                candidate.verdict = NOT_THE_LEADS_BUYER
            else:
                candidate.verdict = refused.verdict(candidate)
        winners = outcome.choose()
        purchases = [Purchase.of(winners[0])] if winners else []
        try:
            with transaction.atomic():
                sales_make(purchases=purchases, appointment=appointment, leads=leads, webhook=webhook, at=at, by=by)
        except ClaimRefused as exc:
            refused.add(exc.refused)  # each round refuses one more cap: this ends
            continue
        if winners:
            return winners[0].offer.workspace, f"{why}{outcome.reason}", True
        if fallback is not None:
            return fallback, f"{why}no appointment offer of '{fallback.pk}' takes it: sent unsold", False
        return None, (f"unrouted: no active offer serves ZIP '{appointment.customer_zip or '-'}' and product "
                      f"'{appointment.service_type or '-'}'"), False


def _appointment_buyers(lead, *, only=None):
    """(the buyers an appointment of `lead` may go to, None: any; the one it goes to unsold when
    none of them has an eligible offer; words for routing_method)."""
    buyers, fallback, why = None, None, ""
    if lead is not None:
        sales = list(lead_sales_standing(lead=lead).select_related("workspace"))
        exclusive = next((sale for sale in sales if sale.exclusive), None)
        if exclusive is not None:
            buyers, fallback = {exclusive.workspace_id}, exclusive.workspace
            why = f"lead #{lead.pk} was sold exclusively to '{exclusive.workspace_id}'; "
        elif sales and WebhookConfig.objects.filter(
            webhook_id=lead.webhook_id, distribution_strategy__in=shared_strategies()
        ).exists():
            buyers = {sale.workspace_id for sale in sales}
            fallback = next((sale.workspace for sale in sales if sale.workspace_id == lead.workspace_id),
                            sales[0].workspace)
            why = f"lead #{lead.pk} was sold to several buyers; "
    if only is not None and (buyers is None or only.pk in buyers):
        buyers, fallback = {only.pk}, only
    return buyers, fallback, why


def _referrer_id(lead):
    """The workspace that referred the lead in (the received event keeps it), or None."""
    event = lead.events.filter(event_type=LeadEvent.RECEIVED).only("event_data").first()
    return (event.event_data or {}).get("sent_from_workspace") if event else None


def lead_distribute(*, lead, strategy: str | None = None, sender_workspace_id=None, attempt: int = 1, rng=None,
                    webhook=None, at=None):
    """Distribute (sell) an unsold lead by `strategy` (None: its webhook's), in its own
    transaction: caps claimed, sale rows and ledger entries (sales, the source's payout) written,
    the decision recorded; then queue the copies for the webhook's forwarding rules to external
    URLs. A blank strategy (a webhook without one, or none) does not distribute: only those
    copies are queued. Never raises: a failure leaves the lead unsold and writes a `failed`
    decision; a database's failure (a lock not granted within LOCK_TIMEOUT, a lost connection) is
    retried later (`_retry_later`), the distribution's own (PERMANENT_ERRORS) is not. When even the
    failed decision cannot be written, the lead has no decision and `leads_undecided_distribute`
    finds it.
    Returns the decision row (None when nothing was decided); its `payout` attribute is the
    source's payout this distribution booked (0.00 when none was due yet, None when the webhook pays
    nothing)."""
    if webhook is None:
        webhook = WebhookConfig.objects.filter(webhook_id=lead.webhook_id).first()
    if strategy is None:
        strategy = webhook.distribution_strategy if webhook else ""
    refused = Refusals()
    try:
        if not strategy:
            lead_copies_send(lead=lead)
            return None
        while True:
            try:
                with transaction.atomic():
                    if connection.vendor == "postgresql":
                        with connection.cursor() as cursor:
                            cursor.execute(f"SET LOCAL lock_timeout = '{LOCK_TIMEOUT}'")
                    sold, decision = _distribute(lead, strategy=strategy, sender_workspace_id=sender_workspace_id,
                                                 rng=rng, webhook=webhook, at=at or timezone.now(),
                                                 refused=refused)
                    lead_copies_send(lead=sold)
                    return decision
            except ClaimRefused as exc:
                refused.add(exc.refused)  # each round refuses at least one more cap or offer: this ends
    except DatabaseError as exc:
        logger.warning("distribution of lead %s failed (attempt %s): %s", lead.pk, attempt, exc)
        decision = _decision_failed(lead, strategy=strategy, error=exc)
        if decision is not None and attempt < MAX_ATTEMPTS:
            transaction.on_commit(lambda: _retry_later(lead_id=lead.pk, attempt=attempt + 1))
        return decision
    except PERMANENT_ERRORS as exc:
        logger.error("distribution of lead %s cannot succeed: %s", lead.pk, exc)
        return _decision_failed(lead, strategy=strategy, error=exc)


def _decision_failed(lead, *, strategy, error):
    """The `failed` decision of `lead`, or None when the database cannot take even that (it went
    away): logged, and the lead, without a decision, is the sweeper's."""
    words = "; ".join(error.messages) if isinstance(error, ValidationError) else str(error)
    try:
        with transaction.atomic():
            return Decision.objects.create(
                lead_id=lead.pk, webhook_id=lead.webhook_id, strategy=strategy, result=DecisionResult.FAILED,
                error=f"{type(error).__name__}: {words}"[:2000],
            )
    except DatabaseError as exc:
        logger.error("the failed distribution of lead %s could not be recorded (the sweeper will find it): %s",
                     lead.pk, exc)
        return None


def _retry_later(*, lead_id, attempt):
    """Queue the distribution of `lead_id` again, DISTRIBUTION_RETRY_SECONDS × the attempts so far
    from now, never inside the caller (leadhub.celery.task_run_later: without a broker, a thread
    of this process once the countdown has passed, after the provider has its answer)."""
    from .tasks import distribute_lead

    task_run_later(distribute_lead, args=[lead_id], kwargs={"attempt": attempt},
                   countdown=settings.DISTRIBUTION_RETRY_SECONDS * (attempt - 1))


def _distribute(lead, *, strategy, sender_workspace_id, rng, webhook, at, refused):
    """(the lead as now stored, its decision row or None when it already has a buyer). What the
    database refused in an earlier round (`refused`: caps full, offers inside their buyer's
    duplicate window) stands for this decision whatever the reads say."""
    lead = Lead.objects.select_for_update().get(pk=lead.pk)
    if lead.workspace_id:
        return lead, None
    outcome = lead_decide(lead, strategy=strategy, webhook_id=lead.webhook_id,
                          sender_workspace_id=sender_workspace_id, rng=rng, at=at,
                          max_buyers=webhook.multisell_buyers if webhook else MULTISELL_BUYERS)
    if refused:
        for candidate in outcome.eligible:
            candidate.verdict = refused.verdict(candidate)
        outcome.winners = outcome.choose(rng=rng)
    outcome.winners = _one_per_buyer(outcome.winners)
    decision = _decision_create(lead, outcome)
    _sales, decision.payout = sales_make(
        purchases=[Purchase.of(w) for w in outcome.winners], lead=lead, webhook=webhook, at=at, by=SYSTEM,
        primary=True, payout_due=not lead.hold_reasons,
    )
    return lead, decision


def _one_per_buyer(winners):
    """A buyer buys a lead once (all_matches may match two of its offers: the first counts)."""
    seen = set()
    return [w for w in winners if not (w.offer.workspace_id in seen or seen.add(w.offer.workspace_id))]


@transaction.atomic
def payout_chargeback(*, lead, by: str, reason: str) -> Entry | None:
    """Take back the source's payout for `lead`: a `chargeback` of minus the booked payout, on the
    source side with the payout's dimensions, saying who and why. Once per lead (its reference is
    unique, so concurrent callers book one); None when no payout was booked or it is already
    taken back."""
    reason = (reason or "").strip()
    if not reason:
        raise DistributionInvalid({"reason": ["Say why the payout is taken back."]})
    reference = f"chargeback:{lead.pk}"
    payout = Entry.objects.filter(kind=EntryKind.PAYOUT, reference=payout_reference(lead.pk)).first()
    if payout is None or Entry.objects.filter(kind=EntryKind.CHARGEBACK, reference=reference).exists():
        return None
    ledger_entries_record(drafts=[Draft(
        kind=EntryKind.CHARGEBACK, amount=-payout.amount, provider_id=payout.provider_id,
        webhook_id=payout.webhook_id, lead_type=payout.lead_type, subsource=payout.subsource, lead_id=payout.lead_id,
        reference=reference, note=f"{reason} (by {by})",
    )])
    return Entry.objects.get(kind=EntryKind.CHARGEBACK, reference=reference)


def _decision_create(lead, outcome: Outcome) -> Decision:
    return Decision.objects.create(
        lead_id=lead.pk, webhook_id=lead.webhook_id, strategy=outcome.strategy,
        result=DecisionResult.ASSIGNED if outcome.winners else DecisionResult.UNSOLD,
        workspace_ids=[c.offer.workspace_id for c in outcome.winners],
        offer_ids=[c.offer.pk for c in outcome.winners],
        candidates=[c.as_row() for c in outcome.candidates], refused=outcome.refused,
    )


def sale_undelivered(*, lead_id, workspace_id):
    """A sold lead's delivery to its buyer finally failed: the buyer does not keep it. Once per
    (lead, buyer), in one transaction: the buyer is credited the sale (`undelivered`, minus the
    price), its access is revoked (its events about the lead are withdrawn, so no redelivery can
    bring the lead back) and it is excluded from the lead for good (`lead_buyer_exclude`). A lead
    left with no buyer is distributed again without it after the commit, and under `payout_on =
    sold` a payout whose only sale failed and that does not sell again is taken back. Returns the
    sale, or None when there was none or this failure was handled already."""
    with transaction.atomic():
        lead = Lead.objects.select_for_update().filter(pk=lead_id).first()
        sale = Sale.objects.filter(lead_id=lead_id, appointment__isnull=True, workspace_id=workspace_id).first()
        if lead is None or sale is None or workspace_id in lead.excluded_buyers:
            return None
        if sale.price:
            ledger_entries_record(drafts=[Draft(
                kind=EntryKind.UNDELIVERED, amount=-sale.price, workspace_id=workspace_id, offer_id=sale.offer_id,
                reference=f"undelivered:{sale.pk}", note="delivery to the buyer finally failed", **lead_dimensions(lead),
            )])
        lead_access_revoke(lead=lead, workspace_id=workspace_id, by=SYSTEM)
        lead_buyer_exclude(lead=lead, workspace_id=workspace_id, reason="its delivery finally failed")
        if lead.workspace_id is None:
            transaction.on_commit(lambda: _offered_again(lead_id=lead_id))
    return sale


def _offered_again(*, lead_id):
    """A lead whose buyer could not take it is distributed again; under `payout_on = sold`, if it
    still has no sale that stands, the source's payout is taken back."""
    lead_distribute_as_arrived(lead=Lead.objects.get(pk=lead_id))
    with transaction.atomic():
        lead = Lead.objects.select_for_update().get(pk=lead_id)
        webhook = WebhookConfig.objects.filter(webhook_id=lead.webhook_id).first()
        if (webhook is not None and webhook.payout_booked_on == PayoutOn.SOLD
                and not lead_sales_standing(lead=lead).exists()):
            payout_chargeback(lead=lead, by=SYSTEM, reason="the lead's only sale could not be delivered")


def lead_buyer_exclude(*, lead, workspace_id: str, reason: str):
    """Never sell `lead` to `workspace_id` again (the engine's `excluded` verdict), and when it was
    the lead's primary buyer, the lead has none now. The caller holds the lead's row lock. The one
    mechanism a failed delivery uses, and an approved return (returns.services)."""
    excluded = [*lead.excluded_buyers, workspace_id] if workspace_id not in lead.excluded_buyers else lead.excluded_buyers
    changes = {"excluded_buyers": excluded}
    if lead.workspace_id == workspace_id:
        changes.update(workspace=None, workspace_status="", workspace_assigned_at=None)
    Lead.objects.filter(pk=lead.pk).update(**changes, updated_at=timezone.now())
    for name, value in changes.items():
        setattr(lead, name, value)
    LeadEvent.objects.create(lead=lead, event_type="buyer_excluded",
                             event_data={"workspace_id": workspace_id, "reason": reason, "by": SYSTEM})


def leads_distribute_again(*, leads, strategy: str = "", at=None) -> dict:
    """Distribute unsold leads again (ops' "distribute again", the unsold retry task): each in its
    own transaction by its webhook's strategy. A lead whose webhook has none (it does not
    distribute) goes by `strategy`, the one ops chose for such leads; without one the whole call
    is refused (ServiceRefusal naming `strategy` and those leads), before anything is
    distributed. Returns {"sold": n, "unsold": n, "skipped": n} (skipped: a buyer already holds
    it)."""
    if strategy and strategy not in STRATEGIES:
        raise ServiceRefusal(f"'{strategy}' is not a distribution strategy.",
                             errors={"strategy": [f"Choose one of: {', '.join(STRATEGIES)}."]})
    counts = {"sold": 0, "unsold": 0, "skipped": 0}
    webhooks = WebhookConfig.objects.in_bulk({lead.webhook_id for lead in leads}, field_name="webhook_id")
    silent = leads_without_strategy(leads, webhooks=webhooks)
    if silent and not strategy:
        message = (f"The webhook of lead(s) {', '.join(f'#{lead.pk}' for lead in silent)} does not distribute: "
                   "choose the strategy to distribute them by.")
        raise ServiceRefusal(message, errors={"strategy": [message]})
    for lead in leads:
        webhook = webhooks.get(lead.webhook_id)
        decision = lead_distribute(lead=lead, strategy=(webhook.distribution_strategy if webhook else "") or strategy,
                                   sender_workspace_id=_referrer_id(lead), webhook=webhook, at=at)
        key = "skipped" if decision is None else "sold" if decision.result == DecisionResult.ASSIGNED else "unsold"
        counts[key] += 1
    return counts


def _changed_since(decision, *, now, offers, zones, owed) -> bool:
    """Could the lead sell now where it did not at `decision`? A refusing offer's schedule is open
    now, the window of a refusing cap has started again since, or a buyer refused for `funds`
    has the funds now (`owed`: prepaid buyers' balance rows; one no longer prepaid has them)."""
    for row in decision.candidates:
        offer = offers.get(row.get("offer_id"))
        if offer is None:
            continue
        verdict, zone = Verdict.parse(row.get("verdict", "")), zones.get(offer.workspace_id, "UTC")
        if verdict.check == Check.FUNDS and (
            offer.workspace.billing_mode != BillingMode.PREPAID
            or funds_cover(available=funds_available(workspace=offer.workspace,
                                                     owed=owed.get(offer.workspace_id, Decimal(0))),
                           price=Decimal(row.get("price") or 0))
        ):
            return True
        if verdict.check == Check.SCHEDULE_CLOSED and schedule_open(
            schedule=offer.schedule, dates_off=offer.dates_off, time_zone=zone, at=now
        ):
            return True
        if verdict.check == Check.CAP:
            window = verdict.window
            if window_start(window, decision.created_at, zone) != window_start(window, now, zone):
                return True
    return False


def unsold_leads_retry(*, now=None, limit: int = 500) -> dict:
    """For webhooks with `retry_unsold`: distribute again their unsold leads younger than the
    webhook's maximum age whose last decision was refused by a closed schedule that is open now,
    a cap whose window has reset since, or a prepaid buyer's funds that cover the price now (a
    deposit or credit since: beat task). Held leads wait for ops instead."""
    now = now or timezone.now()
    counts = {"sold": 0, "unsold": 0, "skipped": 0}
    for webhook in WebhookConfig.objects.filter(retry_unsold=True).exclude(distribution_strategy=""):
        oldest = now - timedelta(hours=webhook.retry_unsold_max_age_hours)
        leads = list(unsold_leads().filter(webhook_id=webhook.webhook_id, hold_reasons="",
                                           created_at__gte=oldest).order_by("created_at")[:limit])
        latest = {}
        for decision in Decision.objects.filter(lead_id__in=[lead.pk for lead in leads]).order_by("created_at", "id"):
            latest[decision.lead_id] = decision
        offer_ids = {row.get("offer_id") for d in latest.values() for row in d.candidates}
        offers = Offer.objects.select_related("workspace").in_bulk(offer_ids)
        zones = {offer.workspace_id: offer.workspace.time_zone for offer in offers.values()}
        prepaid = {offer.workspace_id for offer in offers.values() if offer.workspace.billing_mode == BillingMode.PREPAID}
        owed = dict(Balance.objects.filter(workspace_id__in=prepaid).values_list("workspace_id", "owed")) if prepaid else {}
        due = [lead for lead in leads if lead.pk in latest
               and _changed_since(latest[lead.pk], now=now, offers=offers, zones=zones, owed=owed)]
        for key, n in leads_distribute_again(leads=due, at=now).items():
            counts[key] += n
    return counts


def leads_undecided_distribute(*, now=None, limit: int = 500) -> dict:
    """Distribute the leads stored for a distributing webhook that no distribution decided on
    (`distribution.selectors.undecided_leads`), older than UNDECIDED_GRACE and younger than
    UNDECIDED_MAX_AGE, as if they had just arrived (beat task). Returns the counts of
    `leads_distribute_again`."""
    now = now or timezone.now()
    leads = list(undecided_leads().filter(created_at__gte=now - UNDECIDED_MAX_AGE,
                                          created_at__lte=now - UNDECIDED_GRACE).order_by("created_at")[:limit])
    if leads:
        logger.warning("distributing %s stored leads that no distribution decided on: %s",
                       len(leads), [lead.pk for lead in leads])
    return leads_distribute_again(leads=leads, at=now)


def lead_distribute_retry(*, lead_id, attempt: int):
    lead = Lead.objects.filter(pk=lead_id).first()
    if lead is None or lead.workspace_id:
        return None
    return lead_distribute_as_arrived(lead=lead, attempt=attempt)


def lead_distribute_as_arrived(*, lead, attempt: int = 1):
    """Distribute a lead as its arrival asked (its webhook's strategy, blank: only the forwarding
    copies; its referrer refused): the retry of a failed decision, and the release of its last
    hold."""
    webhook = WebhookConfig.objects.filter(webhook_id=lead.webhook_id).first()
    return lead_distribute(
        lead=lead, strategy=webhook.distribution_strategy if webhook else "", webhook=webhook,
        sender_workspace_id=_referrer_id(lead), attempt=attempt,
    )


@dataclass
class Simulation:
    """What distributing a lead now would do, without doing it: the decision table (`outcome`:
    candidates with verdicts and prices, the winners), the strategy and whose it is, and for round
    robin the offers it rotates among (`rotation`; the winner is the next of them)."""

    outcome: Outcome
    strategy: str
    chosen: bool  # ops picked the strategy; else it is the webhook's
    rotation: list = field(default_factory=list)

    @property
    def distributes(self) -> bool:
        return bool(self.strategy)

    @property
    def candidates(self):
        return self.outcome.candidates

    @property
    def winners(self):
        return self.outcome.winners

    @property
    def refused(self):
        return self.outcome.refused

    @property
    def refused_words(self) -> list[tuple[str, int]]:
        return [(verdict_words(code), n) for code, n in self.outcome.refused.items()]


def lead_simulate(*, lead, strategy: str = "", at=None) -> Simulation:
    """Decide for a lead (saved or not) exactly as `lead_distribute` would, writing nothing: by
    `strategy` (blank: its webhook's; a webhook without one distributes nothing, so there are no
    winners), the webhook's `multisell_buyers`, caps and duplicate windows as read, prices and the
    exclusive choice. Every candidate carries its prices, refused ones too. Round robin names the
    next offer of its rotation: the decision runs in a transaction rolled back at the end, so the
    rotation's position does not move."""
    webhook = WebhookConfig.objects.filter(webhook_id=lead.webhook_id).first()
    chosen = bool(strategy)
    strategy = strategy or (webhook.distribution_strategy if webhook else "")
    sender = _referrer_id(lead) if lead.pk else None
    with transaction.atomic():
        outcome = lead_decide(lead, strategy=strategy, webhook_id=lead.webhook_id, sender_workspace_id=sender,
                              at=at or timezone.now(),
                              max_buyers=webhook.multisell_buyers if webhook else MULTISELL_BUYERS)
        transaction.set_rollback(True)
    outcome.winners = _one_per_buyer(outcome.winners) if strategy else []
    for candidate in outcome.candidates:
        if candidate.verdict != ELIGIBLE:
            candidate.price, candidate.exclusive_price = prices_for(candidate, lead, kind=OfferKind.LEAD)
    rotation = strategy_get(strategy).rotation(outcome.eligible)
    return Simulation(outcome=outcome, strategy=strategy, chosen=chosen, rotation=rotation)


@transaction.atomic
def offer_pause(*, offer: Offer) -> Offer:
    offer = Offer.objects.select_for_update().get(pk=offer.pk)
    if offer.paused_at is None:
        offer.paused_at = timezone.now()
        offer.save(update_fields=["paused_at", "updated_at"])
    return offer


@transaction.atomic
def offer_resume(*, offer: Offer) -> Offer:
    """A paused offer takes leads again, unless it would sell at $0 without a reason."""
    offer = Offer.objects.select_for_update().get(pk=offer.pk)
    if offer.paused_at is not None:
        zero = zero_priced(offer)
        if zero and not offer.zero_price_reason.strip():
            raise DistributionInvalid({"zero_price_reason": [
                f"This offer's {' and '.join(zero)} is 0 and no zero_price_reason says why: ops must price it first."
            ]})
        offer.paused_at = None
        offer.save(update_fields=["paused_at", "updated_at"])
    return offer
