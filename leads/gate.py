"""THE gate: every way a lead or its data reaches a workspace passes `lead_gate`.

A lead with a live hold (leads.holds) must reach no buyer by any path, so the three things that
give a workspace a lead are done here, each behind the one check:
- a workspace's record of the lead (`lead_access_give`; the access service's grant is called
  from nowhere else),
- a lead event for a workspace, or a copy for the webhook's forwarding rules (`lead_event_send`,
  `lead_copies_send`): a held lead's event waits, unlisted and unsent, and goes out at release
  in the order it was made (workspaces.delivery.outbox_release); copies are made at release,
- a sale: distribution books its rows only after `lead_gate` passed for that lead, and each buyer
  gets its record through `lead_access_give` in the sale's transaction.
A lead whose phone or email is suppressed for a workspace (suppression: a list for every buyer,
a registry for callers, that workspace's opt-out) reaches that workspace by none of them either:
`lead_gate` names the workspaces a path gives the lead to, and one query on the suppression
digests answers for all of them.
`leadhub/tests/test_gate.py` fails when any other module grants access, emits lead events or
books sales itself, so a new path cannot go around the gate.

The lead passed in is the row the caller read under its lock (its `hold_reasons` column is the
live holds, kept by leads.holds), so the hold check costs no query; the suppression check one.
"""
from leadhub.errors import ServiceConflict
from leads.events import lead_event_data
from leads.services.access import lead_access_grant
from workspaces.delivery import outbox_emit
from suppression.selectors import suppressed_workspaces, suppressed_workspaces_many
from workspaces.forwarding import lead_forward_rules_apply


class LeadHeld(ServiceConflict):
    """A held lead goes to no workspace until ops release its holds."""

    code = "lead_held"

    def __init__(self, lead):
        self.reasons = lead.hold_reasons.split(",")
        message = (f"Lead {lead.pk} is held ({', '.join(self.reasons)}): release its holds first (ops, saying why), "
                   "then it is distributed.")
        super().__init__(message, errors={"holds": [message]})


class LeadSuppressedFor(ServiceConflict):
    """A suppressed phone or email goes to none of the workspaces its lists apply to. The answer
    names the workspaces, not the lists (ops read those on the suppression admin)."""

    code = "suppressed"

    def __init__(self, lead, workspace_ids):
        self.workspace_ids = sorted(workspace_ids)
        message = (f"Lead {lead.pk}'s phone or email is suppressed for {', '.join(self.workspace_ids)}: "
                   "it may not be given to them.")
        super().__init__(message, errors={"workspace": [message]})


def lead_gate(*, lead, workspaces=()):
    """Refuse (LeadHeld) a lead that has a live hold: it may reach no workspace now; refuse
    (LeadSuppressedFor) a lead suppressed for any of `workspaces`, the ones the caller gives it to."""
    if lead.hold_reasons:
        raise LeadHeld(lead)
    if workspaces and (refused := suppressed_workspaces(phone=lead.phone, email=lead.email, workspaces=workspaces)):
        raise LeadSuppressedFor(lead, refused)


def leads_gate_many(*, leads_to: dict) -> dict:
    """`lead_gate` for many leads at once, {lead: workspaces it is given to} → {lead id: the
    refusal (LeadHeld, LeadSuppressedFor) or None}: one suppression query for all (the outbox's
    release of deliveries that waited, in batches)."""
    refusals = {lead.pk: LeadHeld(lead) for lead in leads_to if lead.hold_reasons}
    suppressed = suppressed_workspaces_many(
        subjects={lead.pk: (lead.phone, lead.email) for lead in leads_to if lead.pk not in refusals},
        workspaces={workspace for lead, workspaces in leads_to.items() for workspace in workspaces})
    for lead, workspaces in leads_to.items():
        refused = suppressed.get(lead.pk, set()) & {workspace.pk for workspace in workspaces}
        if lead.pk not in refusals:
            refusals[lead.pk] = LeadSuppressedFor(lead, refused) if refused else None
    return refusals


def lead_access_give(*, lead, workspace, how: str, by: str, holder: bool = False):
    """`workspace`'s record of `lead` (leads.services.access.lead_access_grant), if the gate lets it."""
    lead_gate(lead=lead, workspaces=[workspace])
    return lead_access_grant(lead=lead, workspace=workspace, how=how, by=by, holder=holder)


def lead_event_send(*, lead, workspace, event_type: str, access=None, **extra):
    """Queue a lead.* event for `workspace` (as `access`, its record, sees the lead) in the
    caller's transaction; while the lead is held the event waits for its release. To a buyer
    that calls consumers, a delivery that hands it the consumer leaves only inside the consumer's
    calling window (leads.calling), and the lead's timeline says why it waits."""
    from leads.calling import CALLING_EVENTS, lead_call_wait, lead_delivery_waiting_note

    wait = {}
    if event_type in CALLING_EVENTS and workspace.calls_consumers:
        not_before, why = lead_call_wait(lead=lead, workspace=workspace)
        wait = {"calling_window": True, "not_before": not_before, "wait_reason": why}
    event = outbox_emit(
        workspace=workspace, event_type=event_type, data={**lead_event_data(lead, access), **extra},
        contact_id=lead.contact_id, subject_type="lead", subject_id=lead.pk, held=bool(lead.hold_reasons), **wait,
    )
    if workspace.calls_consumers:
        lead_delivery_waiting_note(lead=lead, event=event)
    return event


def lead_copies_send(*, lead) -> list:
    """Queue the lead for its webhook's forwarding rules to external URLs; a held lead sends none
    (its release distributes it again, copies included)."""
    from leads.calling import lead_call_wait

    if lead.hold_reasons:
        return []
    return lead_forward_rules_apply(lead=lead, data=lead_event_data(lead),
                                    calling_wait=lambda workspace: lead_call_wait(lead=lead, workspace=workspace))
