"""Why a lead may not leave leadhub yet: its holds, each with a reason from one registry.

A hold is placed at ingest (the post itself calls for it: consent not given) or by ops, and
released by ops naming the reason, who and why. While a lead has any live hold the gate
(leads.gate) refuses every way it could reach a workspace; releasing the last one hands the
lead to whatever waits for it (`lead_released`: distribution as if it had just arrived, then the
appointments and events that waited, in order).

A new reason is one `HOLD_REASONS` entry: its code, its words for people, and, when a post can
call for it, the check `at_ingest` runs on the cleaned lead and the webhook it came to, or, when
that check needs more than the post (earlier leads, suppression lists), the name of the ingest
check that places it (`ingest_check`).
"""
from collections.abc import Callable
from dataclasses import dataclass, field

from django.db import transaction
from django.utils import timezone

from contacts.models import Contact, ContactEvent
from contacts.services import CONTACT_FILL_FIELDS, contact_blanks_fill
from leadhub.errors import ServiceRefusal, errors_message
from leads.consent_evidence import EVIDENCE_COLUMNS
from leads.models import Lead, LeadEvent, LeadHold, consent_hold_message, consent_missing
from providers.models import ConsentEvidenceMode
from leads.signals import lead_released
from workspaces.delivery import outbox_hold, outbox_release


@dataclass(frozen=True)
class HoldReason:
    code: str
    label: str
    release_hint: str  # what ops confirm when they release it
    # (cleaned lead values, webhook) -> the hold's message, or None: the post needs no such hold.
    at_ingest: Callable[[dict, object], str | None] | None = None
    # Placed at ingest by a check of its own that reads the database (named here for people).
    ingest_check: str = ""

    @property
    def placed_at_ingest(self) -> bool:
        return self.at_ingest is not None or bool(self.ingest_check)


def _consent_missing(values, webhook) -> str | None:
    return consent_hold_message(consent_missing(values))


def _evidence_unverified(values, webhook) -> str | None:
    """A `verified_before_sale` webhook's lead waits for its consent evidence to be verified."""
    if webhook.consent_evidence != ConsentEvidenceMode.VERIFIED_BEFORE_SALE:
        return None
    invalid = values.get("evidence_invalid", {})
    if not any(values.get(column) and column not in invalid for column in EVIDENCE_COLUMNS.values()):
        return "Held for consent evidence: none of its form was sent, so there is nothing to verify."
    return "Held until its consent evidence is verified."


HOLD_REASONS = {
    reason.code: reason
    for reason in (
        HoldReason(
            code="consent", label="Consent not given",
            release_hint="consent was obtained (e.g. on a recorded call)", at_ingest=_consent_missing,
        ),
        HoldReason(
            code="evidence", label="Consent evidence not verified",
            release_hint="the consent evidence was checked (or the buyer takes the lead without it)",
            at_ingest=_evidence_unverified,
        ),
        # Placed by ingest when the webhook's `suppression_action` is `hold` and the phone or email
        # is on a list for every buyer (leads.services.ingest); it depends on the lists, not on the
        # post alone, so it has no `at_ingest`. A release does not lift the suppression: every
        # buyer the lists still cover refuses the lead (`suppressed`) at the gate.
        HoldReason(
            code="suppressed", label="Phone or email suppressed",
            release_hint="the number or email is no longer suppressed, or was suppressed by mistake",
            ingest_check="leads.services.ingest.suppression_holds (the webhook's suppression_action `hold`)",
        ),
        HoldReason(
            code="duplicate", label="Possible duplicate of an earlier lead",
            release_hint="it is not the earlier lead's person or request (see the timeline's duplicate_matched)",
            ingest_check="leads.intake_duplicates.duplicate_find (a duplicate rule with action `hold`)",
        ),
    )
}
CONSENT = "consent"
EVIDENCE = "evidence"
SUPPRESSED = "suppressed"
DUPLICATE = "duplicate"
HOLD_PLACED = "hold_placed"
HOLD_RELEASED = "hold_released"


class HoldInvalid(ServiceRefusal):
    """A hold that cannot be placed or released as asked (an unknown reason, a release without a
    note), named per field (the API's 422 `validation`)."""

    code = "validation"

    def __init__(self, errors: dict):
        super().__init__(errors_message(errors), errors=errors)


def hold_reason(code: str) -> HoldReason:
    try:
        return HOLD_REASONS[code]
    except KeyError:
        raise HoldInvalid({"reason": [f"'{code}' is not a hold reason. Allowed: {', '.join(HOLD_REASONS)}."]}) \
            from None


def holds_at_ingest(values: dict, *, webhook) -> list[tuple[str, str]]:
    """The (reason, message) holds a cleaned post to `webhook` calls for, in registry order."""
    found = []
    for reason in HOLD_REASONS.values():
        if reason.at_ingest is not None and (message := reason.at_ingest(values, webhook)):
            found.append((reason.code, message))
    return found


def hold_columns(codes) -> dict:
    """The lead's derived columns for this set of live hold reasons (the only place they are computed)."""
    live = set(codes)  # once: `codes` may be a generator
    codes = [code for code in HOLD_REASONS if code in live]
    return {"hold_reasons": ",".join(codes), "held_for_consent": CONSENT in codes}


def lead_holds_record(*, lead, holds, by: str, at=None) -> list[LeadHold]:
    """Store the holds of a lead just created with `hold_columns` of the same reasons (ingest)."""
    at = at or timezone.now()
    return LeadHold.objects.bulk_create(
        LeadHold(lead=lead, reason=code, message=message, placed_by=by, placed_at=at) for code, message in holds
    )


def held_lead_ids(lead_ids) -> list:
    """Which of these leads are held now (the outbox asks before it sends an event again)."""
    return list(Lead.objects.filter(pk__in=[int(pk) for pk in lead_ids if str(pk).isdigit()])
                .exclude(hold_reasons="").values_list("pk", flat=True))


def lead_holds_live(lead) -> list[dict]:
    """The lead's live holds as the webhook answer and the provider see them: [{reason, message}]."""
    if not lead.hold_reasons:
        return []
    return [{"reason": hold.reason, "message": hold.message}
            for hold in LeadHold.objects.filter(lead_id=lead.pk, released_at__isnull=True)]


def _columns_refresh(lead):
    codes = LeadHold.objects.filter(lead_id=lead.pk, released_at__isnull=True).values_list("reason", flat=True)
    columns = hold_columns(codes)
    Lead.objects.filter(pk=lead.pk).update(**columns, updated_at=timezone.now())
    for name, value in columns.items():
        setattr(lead, name, value)


def _contact_blanks_fill(lead, *, by):
    """What ingest held back from the person's contact (a held lead fills no blanks of a contact
    other workspaces may read) is filled now, as if the lead had just arrived."""
    contact = Contact.objects.select_for_update().get(pk=lead.contact_id)
    changed = contact_blanks_fill(contact=contact, values={name: getattr(lead, name, "") for name in CONTACT_FILL_FIELDS})
    if changed:
        ContactEvent.objects.create(contact=contact, event_type=ContactEvent.UPDATED,
                                    event_data={"lead_id": lead.pk, "changed_fields": changed, "by": by})


@transaction.atomic
def lead_hold_place(*, lead, reason: str, by: str, message: str = "") -> LeadHold:
    """Hold a lead for `reason` from now on (idempotent: a live hold of that reason is returned).
    What it already gave a workspace stays; nothing more leaves until the hold is released."""
    known = hold_reason(reason)
    lead = Lead.objects.select_for_update().get(pk=lead.pk)
    hold = LeadHold.objects.filter(lead_id=lead.pk, reason=reason, released_at__isnull=True).first()
    if hold is not None:
        return hold
    hold = LeadHold.objects.create(lead=lead, reason=reason, message=(message or known.label).strip(), placed_by=by)
    _columns_refresh(lead)
    outbox_hold(subject_type="lead", subject_id=lead.pk)
    LeadEvent.objects.create(lead=lead, event_type=HOLD_PLACED,
                             event_data={"reason": reason, "by": by, "message": hold.message})
    return hold


@dataclass
class HoldRelease:
    """What a release did: whether the `reason` hold was live and is now released, the reasons
    still holding the lead, and, once the last went, what the paths waiting for the lead did
    (one line of words each: the distribution's decision, the appointments routed)."""

    lead: Lead
    reason: str
    released: bool
    still_held: list = field(default_factory=list)
    outcomes: dict = field(default_factory=dict)

    @property
    def summary(self) -> str:
        if not self.released:
            return f"Lead #{self.lead.pk} had no live {self.reason} hold: nothing changed."
        if self.still_held:
            return f"Lead #{self.lead.pk}: {self.reason} hold released; still held for {', '.join(self.still_held)}."
        told = "; ".join(text for text in self.outcomes.values() if text)
        return f"Lead #{self.lead.pk}: {self.reason} hold released, no hold left" + (f"; {told}." if told else ".")


def _live_codes(lead) -> list[str]:
    return lead.hold_reasons.split(",") if lead.hold_reasons else []


def lead_hold_release(*, lead, reason: str, by: str, note: str) -> HoldRelease:
    """Release the lead's `reason` hold, saying why (`note`). When it was the last, everything that
    waited for the lead happens once, in order, after the release commits: its distribution and
    forwarding copies exactly as if it had just arrived (`lead_released`, distribution's
    receiver), the appointments that waited for it, then the events made for workspaces while it
    was held. Releasing a hold that is not live changes nothing."""
    hold_reason(reason)
    note = (note or "").strip()
    if not note:
        raise HoldInvalid({"note": [f"Say why the {reason} hold may be released ({HOLD_REASONS[reason].release_hint})."]})
    with transaction.atomic():
        lead = Lead.objects.select_for_update().get(pk=lead.pk)
        hold = LeadHold.objects.filter(lead_id=lead.pk, reason=reason, released_at__isnull=True).first()
        if hold is None:
            return HoldRelease(lead=lead, reason=reason, released=False, still_held=_live_codes(lead))
        hold.released_at, hold.released_by, hold.release_note = timezone.now(), by, note
        hold.save(update_fields=["released_at", "released_by", "release_note"])
        _columns_refresh(lead)
        LeadEvent.objects.create(lead=lead, event_type=HOLD_RELEASED, event_data={
            "reason": reason, "by": by, "note": note, "consent_value": lead.consent_value,
            "tcpa_compliance": lead.tcpa_compliance,
        })
        result = HoldRelease(lead=lead, reason=reason, released=True, still_held=_live_codes(lead))
        if not result.still_held:
            _contact_blanks_fill(lead, by=by)
        elif result.still_held == [EVIDENCE]:  # now only its evidence keeps it: verify it if an offer wants it
            from leads.services.evidence import held_lead_evidence_queue

            held_lead_evidence_queue(lead_id=lead.pk)
    if not result.still_held:
        for _receiver, answer in lead_released.send(sender=Lead, lead=lead, by=by):
            if isinstance(answer, dict):
                result.outcomes.update(answer)
        with transaction.atomic():
            outbox_release(subject_type="lead", subject_id=lead.pk)
    return result
