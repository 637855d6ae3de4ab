"""Ops' hand work: a lead assigned by hand is sold, through the one sale path.

Assigning a lead to a buyer by hand (the admin action and its record button, the staff API) is
a sale like any other (distribution.selling.sales_make): at the buyer's best eligible offer price,
or at a price ops type in (0 needs a reason), with the buyer's caps claimed; a full cap refuses
with the cap named. What the engine would refuse for reasons ops may overrule (a closed
schedule, a filter, a duplicate window) ops overrule by typing the price.
"""
from django.db import transaction
from django.utils import timezone

from leadhub.errors import ServiceConflict, ServiceRefusal, errors_message
from leads.gate import lead_gate
from leads.models import AccessHow
from leads.services.assignment import lead_assign_locked
from leads.services.tracking import lead_lock
from ledger.services import money
from providers.models import WebhookConfig

from .caps import cap_full, caps_attach
from .engine import ELIGIBLE, Candidate, call_frequency_room
from .models import Offer
from .selectors import lead_sales_standing
from .selling import CapFull, ClaimRefused, FundsShort, Purchase, sales_make
from .services import lead_decide
from .strategies import PRIORITY
from .verdicts import Check


class HandSaleRefused(ServiceConflict):
    code = "sale_refused"


class HandSaleInvalid(ServiceRefusal):
    """A hand sale ops asked for with values it cannot take (an inactive buyer, no price when no
    offer takes the lead, a negative price, 0 without a reason), named per field (the API's 422
    `validation`)."""

    code = "validation"

    def __init__(self, errors: dict):
        super().__init__(errors_message(errors), errors=errors)


@transaction.atomic
def lead_sell_by_hand(*, lead, workspace, by: str, price=None, reason: str = "", at=None):
    """Ops give `lead` to `workspace` by hand, and `workspace` buys it: the lead's holder becomes
    `workspace` (the previous holder's record is revoked, as a re-assignment always did). Returns
    the sale (the standing one when the buyer had bought the lead already: nothing is sold twice).
    Refuses a held lead (leads.gate.LeadHeld), an inactive buyer, a buyer the lead excludes, a lead
    sold exclusively to another buyer, a calling buyer past the consumer's state's call-frequency
    limit, a buyer with no eligible offer when no price is typed, and a full cap (CapFull)."""
    reason = (reason or "").strip()
    at = at or timezone.now()
    lead = lead_lock(lead)
    lead_gate(lead=lead, workspaces=[workspace])
    if not workspace.is_active:
        raise HandSaleInvalid({"workspace": [f"Workspace '{workspace.pk}' is inactive."]})
    if workspace.pk in lead.excluded_buyers:
        raise HandSaleRefused(f"Workspace '{workspace.pk}' may not have lead {lead.pk} again (its delivery finally "
                              "failed).", errors={"workspace": ["This buyer is excluded from the lead."]})
    standing = {sale.workspace_id: sale for sale in lead_sales_standing(lead=lead)}
    exclusive = next((sale for sale in standing.values() if sale.exclusive and sale.workspace_id != workspace.pk), None)
    if exclusive is not None:
        message = f"Lead {lead.pk} was sold exclusively to '{exclusive.workspace_id}'."
        raise HandSaleRefused(message, errors={"workspace": [message]})
    if workspace.pk in standing:  # bought already: it becomes the holder, and pays once
        lead_assign_locked(lead=lead, workspace=workspace, by=by, how=AccessHow.SOLD)
        return standing[workspace.pk]
    _call_frequency_check(lead, workspace, at=at)
    purchase = _purchase(lead, workspace, price=price, reason=reason, at=at)
    webhook = WebhookConfig.objects.filter(webhook_id=lead.webhook_id).first()
    try:
        sales, _payout = sales_make(purchases=[purchase], lead=lead, webhook=webhook, at=at, by=by, note=reason,
                                    primary=True)
    except ClaimRefused as exc:
        if exc.refused.offers:
            message = f"Workspace '{workspace.pk}' bought this phone within its offer's duplicate window: type a price."
            raise HandSaleRefused(message, errors={"price": [message]}) from None
        if exc.refused.buyers:
            raise FundsShort(workspace.pk) from None
        raise CapFull(workspace.pk, set(exc.refused.verdicts.values())) from None
    return sales[0]


def _call_frequency_check(lead, workspace, *, at):
    """A state's limit on calls about one subject binds a hand sale as it binds the engine (the
    same count, `engine.call_frequency_room`): ops overrule an offer by typing a price, never a law."""
    room = call_frequency_room([Candidate(offer=Offer(workspace=workspace), where=None)], lead, at=at)
    if room is not None and room[0] <= 0:
        rule = room[2]
        message = (f"Lead {lead.pk}'s consumer is in {rule['state']}, where at most {rule['max_calls']} buyers that "
                   f"call consumers may have a lead per {rule['hours']} hours ({rule['source']}); it has "
                   f"{rule['sold_to_calling_buyers']}.")
        raise HandSaleRefused(message, errors={"workspace": [message]})


def _purchase(lead, workspace, *, price, reason, at) -> Purchase:
    """The buyer's best eligible offer for `lead` and its price, or the typed `price` (with that
    offer's caps, or the buyer's own caps when no offer takes the lead)."""
    outcome = lead_decide(lead, strategy=PRIORITY, webhook_id=lead.webhook_id, at=at)
    mine = [c for c in outcome.candidates if c.offer.workspace_id == workspace.pk]
    eligible = sorted((c for c in mine if c.verdict == ELIGIBLE), key=lambda c: -c.price)
    full = {c.verdict for c in mine if c.verdict.check == Check.CAP}
    if price is None or price == "":
        if eligible:
            return Purchase.of(eligible[0])
        if full:
            raise CapFull(workspace.pk, full)
        verdicts = ", ".join(sorted({c.verdict for c in mine})) or "no offer of this buyer covers it"
        message = f"Workspace '{workspace.pk}' has no offer that takes lead {lead.pk} now ({verdicts}): type a price."
        raise HandSaleInvalid({"price": [message]})
    amount = money(price, name="price")
    if amount < 0:
        raise HandSaleInvalid({"price": ["A price is not negative."]})
    if amount == 0 and not reason:
        raise HandSaleInvalid({"reason": ["A sale at 0 needs a reason."]})
    if eligible:
        base = eligible[0]
    elif full:
        raise CapFull(workspace.pk, full)
    else:  # no offer takes it: the buyer's own caps still limit what it buys
        base = Candidate(offer=Offer(workspace=workspace), where=None)
        caps_attach([base], at=at)
    if verdict := cap_full(base, amount):
        raise CapFull(workspace.pk, {verdict})
    return Purchase(workspace=workspace, offer=base.offer if base.offer.pk else None, price=amount,
                    caps=list(base.caps))

