"""Returns: a buyer sends back a lead it bought, inside its offer's limits; ops (or leadhub, for
a reason it can verify) approve or reject it; an approved return credits the buyer, takes the
lead from it for good, and as the source's webhook says takes the payout back and offers the
lead to other buyers.

Money moves only through ledger.services, each entry with a unique reference (`return:<sale
id>`, `chargeback:return:<sale id>`, the lead's `chargeback:<lead id>`), so a retried approval
books nothing twice; the lead leaves the buyer by the failed-delivery mechanism
(`lead_access_revoke`, `distribution.services.lead_buyer_exclude`) and is sold again only by
distribution (`lead_distribute_as_arrived`).
"""
from datetime import timedelta
from decimal import ROUND_HALF_UP, Decimal

from django.db import IntegrityError, transaction
from django.db.models import Sum
from django.utils import timezone

from distribution.models import Offer, Sale
from distribution.selectors import lead_sales_standing, payout_reference
from distribution.services import lead_buyer_exclude, lead_distribute_as_arrived, payout_chargeback
from leadhub.actors import SYSTEM
from leadhub.errors import ServiceConflict, ServiceRefusal, errors_message
from leadhub.phones import normalize_phone
from leads.gate import lead_event_send
from leads.models import Lead
from leads.services.access import lead_access_revoke
from ledger.models import Entry, EntryKind
from ledger.services import CENT, Draft, lead_dimensions, ledger_entries_record
from providers.models import PayoutKind, WebhookConfig
from workspaces.models import EventType

from .models import LIVE_STATES, Return, ReturnReason, ReturnState, Verification
from .signals import return_approved
from .selectors import (DEFAULT_WINDOW_HOURS, billing_period_start, earlier_duplicate, offer_returns_in_period,
                        offer_sales_in_period, return_window_start)


class ReturnInvalid(ServiceRefusal):
    """A return the service refuses for its input (an unknown reason, no reason given)."""

    code = "validation"

    def __init__(self, errors: dict):
        super().__init__(errors_message(errors), errors=errors)


class ReturnRefused(ServiceConflict):
    """A return the offer's limits or the sale's state refuse; `code` and the field name the limit."""

    def __init__(self, code: str, field: str, message: str):
        self.code = code
        super().__init__(message, errors={field: [message]})


def return_request(*, sale: Sale, reason: str, note: str = "", by: str, at=None) -> Return:
    """The buyer of `sale` returns its lead for `reason` (an active ReturnReason code), inside its
    offer's return window (from the first delivery to it) and return cap (per billing period);
    refused (ReturnRefused) naming the limit. One live return per sale, concurrent requests
    included (the database's partial unique index). `lead.return_requested` goes to the buyer; a
    reason leadhub can verify (ReturnReason.auto_approve) is approved at once when it holds."""
    now = at or timezone.now()
    code = (reason or "").strip()
    reason_row = ReturnReason.objects.filter(code=code, is_active=True).first()
    if reason_row is None:
        codes = ", ".join(ReturnReason.objects.filter(is_active=True).values_list("code", flat=True))
        raise ReturnInvalid({"reason": [f"'{code}' is not a return reason: give one of {codes}." if code
                                        else f"Give a reason: one of {codes}."]})
    with transaction.atomic():
        lead = Lead.objects.select_for_update().get(pk=sale.lead_id)
        if sale.workspace_id in lead.excluded_buyers:
            raise ReturnRefused("already_credited", "lead", f"Lead {lead.pk} was already taken back from you "
                                                             "(credited): there is nothing to return.")
        if Return.objects.filter(sale=sale, state__in=LIVE_STATES).exists():
            raise _already_returned(lead)
        offer = Offer.objects.select_for_update().filter(pk=sale.offer_id).first()  # one cap count at a time
        started = return_window_start(sale=sale)
        _window_check(offer, started=started, now=now)
        if offer is not None:
            _cap_check(offer, workspace=sale.workspace, now=now)
        try:
            with transaction.atomic():
                ret = Return.objects.create(
                    sale=sale, lead=lead, workspace=sale.workspace, reason=reason_row, note=note or "",
                    requested_at=now, requested_by=by, window_started_at=started or now,
                )
        except IntegrityError:
            raise _already_returned(lead) from None
        _tell(ret, lead, EventType.LEAD_RETURN_REQUESTED)
        verified = return_verify(ret=ret)
        if verified:
            ret.verified = verified[:255]
            _approve(ret, lead=lead, by=SYSTEM, reason=f"verified: {verified}", at=now)
    return ret


def _already_returned(lead):
    return ReturnRefused("already_returned", "lead", f"Lead {lead.pk} is already returned (or awaiting review).")


def _window_check(offer, *, started, now):
    hours = offer.return_window_hours if offer is not None else DEFAULT_WINDOW_HOURS
    if started is None:
        return  # not delivered yet: the clock has not started
    closed = started + timedelta(hours=hours)
    if now > closed:
        raise ReturnRefused(
            "return_window_closed", "return_window_hours",
            f"The return window is {hours} hours from delivery ({started.isoformat()}): it closed at "
            f"{closed.isoformat()}.")


def _cap_check(offer, *, workspace, now):
    if offer.return_cap_count is None and offer.return_cap_percent is None:
        return
    since = billing_period_start(at=now, time_zone=workspace.time_zone)
    returned = offer_returns_in_period(offer=offer, since=since)
    if offer.return_cap_count is not None and returned + 1 > offer.return_cap_count:
        raise ReturnRefused(
            "return_cap_reached", "return_cap_count",
            f"Offer #{offer.pk} allows {offer.return_cap_count} return(s) per billing period (the month from "
            f"{since.date().isoformat()}): {returned} made.")
    if offer.return_cap_percent is not None:
        bought = offer_sales_in_period(offer=offer, since=since)
        if (returned + 1) * 100 > offer.return_cap_percent * bought:
            raise ReturnRefused(
                "return_cap_reached", "return_cap_percent",
                f"Offer #{offer.pk} allows returns of {offer.return_cap_percent}% of the leads bought from it per "
                f"billing period (the month from {since.date().isoformat()}): {returned} of {bought} returned.")


def return_verify(*, ret) -> str:
    """What leadhub verified of the return's reason ("" when it cannot, or it does not hold)."""
    check = ret.reason.auto_approve
    if check == Verification.INVALID_PHONE:
        try:
            normalize_phone(ret.lead.phone)
        except ValueError as exc:
            return str(exc)
    elif check == Verification.DUPLICATE:
        earlier = earlier_duplicate(sale=ret.sale)
        if earlier is not None:
            return (f"you bought lead {earlier.lead_id} with the same phone on {earlier.sold_at.isoformat()}, "
                    f"within the offer's {ret.sale.offer.duplicate_days}-day duplicate window")
    return ""


def return_approve(*, ret: Return, by: str, reason: str = "", at=None) -> Return:
    """Ops approve a requested return (see `_approve`); refused when it was decided already."""
    with transaction.atomic():
        lead = Lead.objects.select_for_update().get(pk=ret.lead_id)
        ret = _pending(ret)
        _approve(ret, lead=lead, by=by, reason=(reason or "").strip(), at=at)
    return ret


def return_reject(*, ret: Return, by: str, reason: str) -> Return:
    """Ops reject a requested return, saying why (the buyer is told: `lead.return_rejected`)."""
    reason = (reason or "").strip()
    if not reason:
        raise ReturnInvalid({"reason": ["Say why the return is rejected."]})
    with transaction.atomic():
        lead = Lead.objects.select_for_update().get(pk=ret.lead_id)
        ret = _pending(ret)
        _decide(ret, state=ReturnState.REJECTED, by=by, reason=reason, at=timezone.now())
        _tell(ret, lead, EventType.LEAD_RETURN_REJECTED)
    return ret


def _pending(ret):
    """The return re-read under its own row lock only: `of` keeps the joined sale, reason and
    buyer unlocked (a FOR UPDATE on the buyer's row would queue every write that points at it)."""
    ret = (Return.objects.select_for_update(of=("self",)).select_related("sale", "reason", "workspace")
           .get(pk=ret.pk))
    if ret.state != ReturnState.REQUESTED:
        raise ReturnRefused("return_decided", "state", f"Return #{ret.pk} is {ret.state} already.")
    return ret


def _decide(ret, *, state, by, reason, at):
    ret.state, ret.decided_at, ret.decided_by, ret.decision_reason = state, at, by, reason
    ret.save(update_fields=["state", "decided_at", "decided_by", "decision_reason", "verified"])


def _approve(ret, *, lead, by, reason, at=None):
    """In the caller's transaction, holding the lead's lock: the buyer is credited the sale's
    price (`return_credit`), loses its access and is excluded from the lead for good; under the
    webhook's `chargeback_on_return` the source's payout is taken back (a share payout: the
    returned sale's part; a fixed one: once no other sale of the lead stands); under
    `resell_returned` a lead left with no sale is distributed again after the commit."""
    sale = ret.sale
    if sale.workspace_id in lead.excluded_buyers:
        raise ReturnRefused("already_credited", "lead", f"Lead {lead.pk} was already taken back from "
                                                         f"{sale.workspace_id} (credited).")
    at = at or timezone.now()
    _decide(ret, state=ReturnState.APPROVED, by=by, reason=reason, at=at)
    why = f"returned: {ret.reason.code} (by {by})"
    if sale.price:
        ledger_entries_record(drafts=[Draft(
            kind=EntryKind.RETURN_CREDIT, amount=-sale.price, workspace_id=sale.workspace_id, offer_id=sale.offer_id,
            reference=f"return:{sale.pk}", note=why, **lead_dimensions(lead),
        )], at=at)
    lead_access_revoke(lead=lead, workspace_id=sale.workspace_id, by=by)
    lead_buyer_exclude(lead=lead, workspace_id=sale.workspace_id, reason=f"returned ({ret.reason.code})")
    webhook = WebhookConfig.objects.filter(webhook_id=lead.webhook_id).first()
    standing = lead_sales_standing(lead=lead).exists()
    resell = webhook is not None and webhook.resell_returned and not standing and not lead.hold_reasons
    fixed_chargeback = webhook is not None and webhook.chargeback_on_return and webhook.payout_kind == PayoutKind.FIXED
    taken_back = Decimal("0")
    if webhook is not None and webhook.chargeback_on_return and webhook.payout_kind == PayoutKind.SHARE:
        taken_back = _share_charge_back(lead=lead, sale=sale, note=why)
    elif fixed_chargeback and not standing and not resell:
        payout_chargeback(lead=lead, by=by, reason=f"the lead's last sale was returned ({ret.reason.code})")
    _tell(ret, lead, EventType.LEAD_RETURN_APPROVED)
    return_approved.send(sender=Return, ret=ret, lead=lead, payout_change=taken_back, at=at)
    if resell:
        lead_id, code = lead.pk, ret.reason.code
        transaction.on_commit(lambda: _resell(lead_id=lead_id, charge_back=fixed_chargeback, by=by, code=code))


def _share_charge_back(*, lead, sale, note):
    """The returned sale's part of a share payout: the payout split over the sales it was booked
    with, by price; the last of them standing takes what is left, so the parts add up to the
    payout. Nothing when the sale was not one of them (a resale pays the source nothing more).
    Returns the amount booked (negative; 0 for nothing)."""
    payout = Entry.objects.filter(kind=EntryKind.PAYOUT, reference=payout_reference(lead.pk)).first()
    if payout is None:
        return Decimal("0")
    made_with = list(Sale.objects.filter(lead_id=lead.pk, appointment__isnull=True, sold_at=payout.created_at)
                     .values_list("pk", "price", "workspace_id"))
    if sale.pk not in {pk for pk, _price, _buyer in made_with}:
        return Decimal("0")
    taken = -(Entry.objects.filter(kind=EntryKind.CHARGEBACK, lead_id=lead.pk).aggregate(s=Sum("amount"))["s"]
              or Decimal("0"))
    left = payout.amount - taken
    others = any(pk != sale.pk and buyer not in lead.excluded_buyers for pk, _price, buyer in made_with)
    total = sum((price for _pk, price, _buyer in made_with), Decimal("0"))
    part = (payout.amount * sale.price / total).quantize(CENT, rounding=ROUND_HALF_UP) if others and total else left
    part = min(part, left)
    if part <= 0:
        return Decimal("0")
    booked = ledger_entries_record(drafts=[Draft(
        kind=EntryKind.CHARGEBACK, amount=-part, provider_id=payout.provider_id, webhook_id=payout.webhook_id,
        lead_type=payout.lead_type, subsource=payout.subsource, lead_id=payout.lead_id,
        reference=f"chargeback:return:{sale.pk}", note=note,
    )])
    return sum((entry.amount for entry in booked), Decimal("0"))


def _resell(*, lead_id, charge_back, by, code):
    """A returned lead offered again (the engine excludes the buyer that returned it); a fixed
    payout is taken back only if it did not sell again."""
    lead_distribute_as_arrived(lead=Lead.objects.get(pk=lead_id))
    if not charge_back:
        return
    with transaction.atomic():
        lead = Lead.objects.select_for_update().get(pk=lead_id)
        if not lead_sales_standing(lead=lead).exists():
            payout_chargeback(lead=lead, by=by, reason=f"the lead's last sale was returned ({code}) and did not sell again")


def _tell(ret, lead, event_type):
    lead_event_send(lead=lead, workspace=ret.workspace, event_type=event_type, return_id=ret.pk,
                    sale_id=ret.sale_id, reason=ret.reason.code, state=ret.state,
                    decision_reason=ret.decision_reason)
