"""A lead's deliveries to buyers that call consumers, bound to the consumer's calling window.

`lead_call_wait` asks compliance when the lead's consumer may be called (their zone and states
from the lead's ZIP, posted state and phone; the buyer's zone when none is known).
`lead_deliveries_check` is the outbox's question when such a delivery comes due
(workspaces.delivery.RELEASE_CHECKS): the gate again (a held lead waits for its release; a
suppressed or purged one is refused), then the window again (it may have moved: a holiday added,
a retry falling at night).
"""
from collections import defaultdict

from django.utils import timezone

from compliance.windows import call_opens_at, consumer_locale
from leads.gate import LeadHeld, LeadSuppressedFor, leads_gate_many
from leads.models import Lead, LeadEvent
from workspaces.delivery import SEND, Release
from workspaces.models import EventType

# The deliveries that put a consumer in front of a caller.
CALLING_EVENTS = frozenset({EventType.LEAD_SOLD, EventType.LEAD_ASSIGNED, EventType.LEAD_FORWARDED,
                            EventType.APPOINTMENT_CREATED})


def lead_call_wait(*, lead, workspace, at=None):
    """(the first instant `workspace` may call `lead`'s consumer, why it waits: "" when now)."""
    locale = consumer_locale(zip_code=lead.zip_code, state=lead.state, phone=lead.phone,
                             fallback_zone=workspace.time_zone)
    return call_opens_at(locale=locale, at=at or timezone.now())


def lead_delivery_waiting_note(*, lead, event):
    """The lead's timeline says why a delivery to its buyer waits, and until when (that buyer's row)."""
    if event is None or not event.wait_reason:
        return
    LeadEvent.objects.create(lead_id=lead.pk, workspace_id=event.workspace_id, event_type=LeadEvent.DELIVERY_WAITING,
                             event_data={"event_id": str(event.pk), "type": event.event_type,
                                         "not_before": event.not_before.isoformat(), "reason": event.wait_reason})


def lead_deliveries_check(events, *, lead_ids=None) -> dict:
    """{event id: Release} for due waiting deliveries about leads (`lead_ids`: event id → lead id,
    for events about another subject of a lead). One query for the leads, the gate's one per lead."""
    lead_ids = lead_ids or {event.pk: int(event.subject_id) for event in events}
    leads = Lead.objects.only("id", "phone", "email", "zip_code", "state", "hold_reasons").in_bulk(
        set(lead_ids.values()))
    by_lead = defaultdict(list)
    for event in events:
        by_lead[lead_ids.get(event.pk)].append(event)
    now, verdicts, refused_notes = timezone.now(), {}, []
    refusals = leads_gate_many(leads_to={
        leads[lead_id]: {row.workspace for row in rows if row.workspace is not None}
        for lead_id, rows in by_lead.items() if lead_id in leads})
    for lead_id, rows in by_lead.items():
        lead = leads.get(lead_id)
        if lead is None:
            verdicts.update({row.pk: Release("refuse", reason="refused: the lead was purged") for row in rows})
            continue
        refusal = refusals[lead_id]
        if isinstance(refusal, LeadHeld):
            verdicts.update({row.pk: Release("hold", reason=f"held: {', '.join(refusal.reasons)}") for row in rows})
            continue
        suppressed = set(refusal.workspace_ids) if isinstance(refusal, LeadSuppressedFor) else set()
        for row in rows:
            if row.workspace_id in suppressed:
                reason = "refused: the lead's phone or email is now suppressed for this workspace"
                verdicts[row.pk] = Release("refuse", reason=reason)
                refused_notes.append(LeadEvent(lead=lead, workspace_id=row.workspace_id,
                                               event_type=LeadEvent.DELIVERY_REFUSED,
                                               event_data={"event_id": str(row.pk), "type": row.event_type,
                                                           "reason": reason}))
                continue
            opens, why = (lead_call_wait(lead=lead, workspace=row.workspace, at=now)
                          if row.calling_window and row.workspace is not None else (now, ""))
            verdicts[row.pk] = Release("wait", opens, why) if opens > now else SEND
    LeadEvent.objects.bulk_create(refused_notes)
    return verdicts
