"""THE sale path: every way a buyer gets a lead or an appointment at a price ends in `sales_make`.

Distribution (a lead's buyers), an appointment's routing (its one buyer) and ops' hand work
(`lead_sell_by_hand`) decide who buys at what price, each its own way; what a sale *is* is decided
here once, so the money of every path is the same:
- the lead passes the gate (leads.gate.lead_gate) before anything is written: a held lead is sold
  to nobody, by any path;
- one sale row per buyer, naming its subject (a lead, an appointment, or both), unique per
  (subject, buyer);
- its ledger `sale` entry, and the source's payout when its webhook's terms make it due now, in
  one INSERT;
- the buyer's record of the lead (`how = sold`; the primary buyer's `workspace_status` stays
  `assigned`, so accept/reject keeps working) and a `lead.sold` / `appointment.sold` event with
  the price, exclusive flag and offer;
- the claims last, so their rows stay locked only from there to COMMIT: a lead's buyers'
  duplicate windows (distribution.duplicates.duplicates_claim; rows of this phone only), then
  each buyer's funds and the offer's and the buyer's caps (distribution.caps.caps_claim: the
  buyer's balance row moves by the price there, refused for a prepaid buyer the funds do not
  cover, so the sale's ledger entry does not move it again; then the caps' rows), each one
  conditional statement. A refusal raises `ClaimRefused` and the caller's
  transaction rolls back everything above; distribution and appointments decide again with what
  was refused, hand work refuses.
"""
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from leadhub.actors import SYSTEM, provider_of_actor
from leadhub.errors import ServiceConflict
from leads.gate import lead_access_give, lead_event_send, lead_gate
from leads.models import AccessHow
from leads.services.assignment import lead_assign_locked
from leads.services.evidence import consent_evidence_request
from ledger.models import EntryKind
from ledger.services import CENT, Draft, lead_dimensions, ledger_entries_record
from providers.models import PayoutKind, PayoutOn
from workspaces.delivery import outbox_emit
from workspaces.models import EventType

from .caps import caps_claim, claim_amount
from .duplicates import duplicates_claim
from .engine import DUPLICATE_FOR_BUYER, FUNDS
from .models import Sale
from .signals import lead_sold
from .selectors import NOTHING_BOOKED, appointment_payout_reference, payout_reference


@dataclass
class Purchase:
    """One buyer taking the subject: at `price` by `offer` (None: a hand sale without one), with
    the caps that limit it [(cap, window start, used)] (distribution.caps.caps_attach)."""

    workspace: object
    offer: object | None
    price: Decimal
    exclusive: bool = False
    caps: list = field(default_factory=list)
    duplicate_days: int | None = None  # the offer's duplicate window a lead sale claims (None: none)

    @classmethod
    def of(cls, candidate) -> "Purchase":
        """What an engine candidate (distribution.engine.Candidate) buys at."""
        return cls(workspace=candidate.offer.workspace, offer=candidate.offer, price=candidate.sale_price,
                   exclusive=candidate.exclusive, caps=list(candidate.caps),
                   duplicate_days=candidate.offer.duplicate_days)


@dataclass
class Refusals:
    """What the database refused in the earlier rounds of one decision, decided for the next
    whatever its reads say: `caps` full, and `offers` whose buyer bought the lead's phone within
    the offer's duplicate window, and prepaid `buyers` whose funds did not cover a sale. A refused
    cap, offer or buyer never wins again, so each round that refuses adds at least one more and
    the rounds end. `verdicts`: each refused cap's verdict."""

    caps: set = field(default_factory=set)
    offers: set = field(default_factory=set)
    verdicts: dict = field(default_factory=dict)
    buyers: set = field(default_factory=set)

    def __bool__(self):
        return bool(self.caps or self.offers or self.buyers)

    def add(self, other: "Refusals"):
        self.caps |= other.caps
        self.offers |= other.offers
        self.buyers |= other.buyers
        self.verdicts.update(other.verdicts)

    def verdict(self, candidate) -> str:
        """The candidate's verdict with these refusals, in the engine's order (the window, caps,
        then funds)."""
        if candidate.offer.pk in self.offers:
            return DUPLICATE_FOR_BUYER
        full = next((cap.verdict for cap, _s, _u in candidate.caps if cap.pk in self.caps), None)
        if full is None and candidate.offer.workspace_id in self.buyers:
            return FUNDS
        return full or candidate.verdict


class ClaimRefused(Exception):
    """A claim was refused (a buyer's duplicate window, a cap, its funds): the caller's transaction rolls
    back (giving back what was claimed) and decides again with `refused`, or refuses."""

    def __init__(self, refused: Refusals):
        super().__init__(refused)
        self.refused = refused


class FundsShort(ServiceConflict):
    """Ops sold by hand to a prepaid buyer whose available funds do not cover the price: refused."""

    code = "funds"

    def __init__(self, workspace_id):
        message = f"Workspace '{workspace_id}' cannot buy this now: its available funds do not cover the price."
        super().__init__(message, errors={"workspace": [message]})


class CapFull(ServiceConflict):
    """Ops sold by hand to a buyer whose cap is full: refused, naming the cap."""

    code = "cap_full"

    def __init__(self, workspace_id, verdicts):
        named = ", ".join(sorted(verdicts))
        message = f"Workspace '{workspace_id}' cannot buy more now: {named} is full."
        super().__init__(message, errors={"workspace": [message]})
        self.verdicts = sorted(verdicts)


def payout_for(webhook, sales_total: Decimal) -> Decimal | None:
    """What the source of `webhook` is owed for one lead or appointment: its fixed amount, or its
    share of the sales; None when the webhook pays nothing."""
    if webhook is None or not webhook.payout_kind:
        return None
    if webhook.payout_kind == PayoutKind.FIXED:
        return webhook.payout_amount
    return (sales_total * webhook.payout_share / 100).quantize(CENT, rounding=ROUND_HALF_UP)


def sales_make(*, purchases, lead=None, appointment=None, leads=(), webhook=None, at, by=SYSTEM, note="",
               primary=False, payout_due=True):
    """Sell `lead` (or `appointment`, covering `leads`) to each of `purchases`, and book the
    source's payout of `webhook` when it is due: `payout_due` says the subject is accepted for good
    (not held); under `payout_on = sold` it is due with a sale. The caller holds the row locks of
    the lead(s) in its own transaction. `primary`: the first buyer of a lead becomes its holder
    (`lead.assigned`), the others get a record of their own (`lead.forwarded`, as before sales).
    Returns (sales, the payout booked: None when the webhook pays nothing, 0.00 when none is due
    now or it was booked before). Raises ClaimRefused (nothing of this stands then)."""
    for covered in ([lead] if lead is not None else list(leads)) if purchases else ():
        lead_gate(lead=covered)  # its buyers: each one's record of it passes the gate (lead_access_give)
    subject_lead = lead if lead is not None else (appointment.lead if appointment is not None else None)
    phone = lead.phone if lead is not None else getattr(appointment, "customer_phone", "")
    sales = Sale.objects.bulk_create(
        Sale(lead=subject_lead, appointment=appointment, workspace_id=p.workspace.pk, offer=p.offer, price=p.price,
             exclusive=p.exclusive, phone=phone, sold_at=at, by=by, note=note[:255])
        for p in purchases
    ) if purchases else []
    payout = _money_book(sales, lead=subject_lead, appointment=appointment, webhook=webhook, at=at,
                         due=payout_due)
    for index, (sale, purchase) in enumerate(zip(sales, purchases, strict=True)):
        if appointment is None:
            _lead_handed(lead, sale, purchase, by=by, primary=primary and index == 0)
        else:
            outbox_emit(workspace=purchase.workspace, event_type=EventType.APPOINTMENT_SOLD,
                        data={**_sale_data(sale), "appointment_id": appointment.pk,
                              "lead_ids": [covered.pk for covered in leads]},
                        contact_id=appointment.contact_id, subject_type="appointment", subject_id=str(appointment.pk))
    if appointment is None and (buyers := duplicates_claim(
        [(p.workspace.pk, phone, at, p.duplicate_days) for p in purchases]
    )):
        raise ClaimRefused(Refusals(offers={p.offer.pk for p in purchases if p.workspace.pk in buyers and p.offer}))
    claims = [(cap, start, claim_amount(cap, p.price)) for p in purchases for cap, start, _used in p.caps]
    if refused := caps_claim(claims, funds=[(p.workspace.pk, p.price) for p in purchases if p.price]):
        verdicts = {cap.pk: cap.verdict for p in purchases for cap, _s, _u in p.caps if cap.pk in refused.caps}
        raise ClaimRefused(Refusals(caps=refused.caps, verdicts=verdicts, buyers=refused.buyers))
    if lead is not None and sales:
        # A buyer took the lead: its consent evidence is verified for that buyer, after commit.
        consent_evidence_request(lead=lead, advertiser_name=purchases[0].workspace.name)
        lead_sold.send(sender=Sale, lead=lead, sales=sales, webhook=webhook, at=at)
    return sales, payout


def _sale_data(sale) -> dict:
    return {"sale_id": sale.pk, "price": sale.price, "exclusive": sale.exclusive, "offer_id": sale.offer_id,
            "sold_at": sale.sold_at}


def _lead_handed(lead, sale, purchase, *, by, primary):
    """The buyer's record of the lead and the events it gets for this sale."""
    if primary:
        lead = lead_assign_locked(lead=lead, workspace=purchase.workspace, by=by, how=AccessHow.SOLD)
        access = None
    else:
        access = lead_access_give(lead=lead, workspace=purchase.workspace, how=AccessHow.SOLD, by=by)
        lead_event_send(lead=lead, workspace=purchase.workspace, event_type=EventType.LEAD_FORWARDED,
                        access=access, offer_id=sale.offer_id)
    lead_event_send(lead=lead, workspace=purchase.workspace, event_type=EventType.LEAD_SOLD, access=access,
                    **_sale_data(sale))


def _money_book(sales, *, lead, appointment, webhook, at, due):
    """The ledger entries of one sale decision, in one INSERT: a `sale` per buyer and the
    source's `payout` when due and not withheld from the lead (`lead.payout_withheld`: a duplicate
    rule's `accept_no_payout`). The payout's reference is unique (per lead, or per appointment),
    so it is booked once however many decisions (concurrent ones included) find it due. An
    amount of zero moves no money and books nothing."""
    dimensions = lead_dimensions(lead) if lead is not None else {}
    if appointment is not None and webhook is not None:
        # The source is the appointment's: its webhook, and the provider that posted it (its leads
        # are its own), so its payout is on that provider's statement.
        dimensions["webhook_id"] = webhook.webhook_id
        dimensions["provider_id"] = provider_of_actor(appointment.created_by) or dimensions.get("provider_id", "")
    drafts = [Draft(kind=EntryKind.SALE, amount=sale.price, workspace_id=sale.workspace_id, offer_id=sale.offer_id,
                    reference=f"sale:{sale.pk}", note=sale.note, funds_claimed=True, **dimensions)
              for sale in sales if sale.price]  # funds_claimed: caps_claim moves the balance (sales_make)
    payout = payout_for(webhook, sum((sale.price for sale in sales), Decimal("0")))
    if payout is not None and not (sales if webhook.payout_booked_on == PayoutOn.SOLD else due):
        payout = NOTHING_BOOKED
    if payout is not None and lead is not None and lead.payout_withheld and appointment is None:
        payout = NOTHING_BOOKED  # a duplicate rule's accept_no_payout: the source is not paid twice for one person
    if payout:
        reference = appointment_payout_reference(appointment.pk) if appointment is not None else payout_reference(lead.pk)
        drafts.append(Draft(kind=EntryKind.PAYOUT, amount=payout, reference=reference, **dimensions))
    ledger_entries_record(drafts=drafts, at=at)
    return payout

