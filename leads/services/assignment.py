"""Which workspace holds a lead: assignment by ops or routing, and the holder's accept/reject."""
from django.core.exceptions import PermissionDenied
from django.db import transaction

from leads.gate import lead_access_give, lead_event_send, lead_gate
from leads.models import AccessHow, LeadEvent, TrackingAction, WorkspaceStatus
from leads.services.access import (
    LeadInvalid,
    contact_conversion_status_refresh,
    lead_access_for,
    lead_access_revoke,
    lead_primary_mirror,
    lead_working_save,
)
from leads.services.tracking import lead_lock, workspace_tracking_record
from workspaces.models import EventType


@transaction.atomic
def lead_assign(*, lead, workspace, by: str, how: str = AccessHow.ASSIGNED):
    """Give a lead to a workspace (ops, the admin bulk action, distribution).

    The workspace gets its access record (`assigned`), whose working fields the lead's columns
    then show. Re-assignment revokes the previous workspace's access (its record and history stay
    for ops) and records both sides: the previous workspace gets tracking `updated` (not
    `rejected`, which is reserved for a workspace refusing the lead itself, so partner rejection
    rates stay truthful) and an `unassigned` lead event; the new one gets `sent` and `assigned`.
    A held lead is refused by the gate (leads.gate.LeadHeld): its holds are released first, each
    on its own with the reason (`leads.holds.lead_hold_release`), which distributes it.
    Re-assigning to the workspace that already holds the lead as `assigned` changes nothing.
    """
    return lead_assign_locked(lead=lead_lock(lead), workspace=workspace, by=by, how=how)


def lead_assign_locked(*, lead, workspace, by: str, how: str = AccessHow.ASSIGNED):
    """`lead_assign` for a caller that already holds the lead's row lock in its own transaction
    (distribution locks the lead to decide): no second lock and no savepoint, three queries fewer
    on every distributed lead. `how`: `sold` when the holder bought it (distribution.selling)."""
    lead_gate(lead=lead)
    previous_id = lead.workspace_id
    if previous_id == workspace.pk and lead.workspace_status == WorkspaceStatus.ASSIGNED:
        return lead
    if previous_id and previous_id != workspace.pk:
        lead_access_revoke(lead=lead, workspace_id=previous_id, by=by)
    access = lead_access_give(lead=lead, workspace=workspace, how=how, by=by, holder=True)
    if access.workspace_status != WorkspaceStatus.ASSIGNED:
        lead_working_save(lead=lead, access=access, values={"workspace_status": WorkspaceStatus.ASSIGNED})
    lead_primary_mirror(lead=lead, access=access, workspace=workspace)
    if previous_id and previous_id != workspace.pk:
        workspace_tracking_record(
            lead=lead,
            workspace_id=previous_id,
            action=TrackingAction.UPDATED,
            performed_by=by,
            details=f"Lead re-assigned to another workspace by {by}.",
            metadata={"change": "unassigned"},
        )
        LeadEvent.objects.create(
            lead=lead, event_type=LeadEvent.UNASSIGNED, workspace_id=previous_id,
            event_data={"workspace_id": previous_id, "by": by},
        )
    workspace_tracking_record(
        lead=lead, workspace_id=workspace.pk, action=TrackingAction.SENT, performed_by=by
    )
    LeadEvent.objects.create(
        lead=lead, event_type=LeadEvent.ASSIGNED, workspace=workspace,
        event_data={"workspace_id": workspace.pk, "by": by},
    )
    lead_event_send(
        lead=lead, workspace=workspace, access=access, event_type=EventType.LEAD_ASSIGNED, assigned_by=by,
        previous_workspace_id=previous_id,
    )
    return lead


# What a partner may answer about a lead assigned to it, and how tracking records the answer.
PARTNER_RESPONSES = {
    WorkspaceStatus.ACCEPTED: TrackingAction.UPDATED,
    WorkspaceStatus.REJECTED: TrackingAction.REJECTED,
}


@transaction.atomic
def lead_workspace_respond(*, lead, workspace, response: str, by: str):
    """A workspace holding the lead accepts or rejects it (the `workspace_status` of its access
    record); the contact's conversion status follows (`rejected` once every holder rejected)."""
    if response not in PARTNER_RESPONSES:
        raise LeadInvalid({"workspace_status": [f"Must be one of: {', '.join(PARTNER_RESPONSES)}."]})
    lead = lead_lock(lead)
    access = lead_access_for(lead=lead, workspace=workspace)
    if access is None:
        raise PermissionDenied("Only a workspace the lead reached can accept or reject it.")
    old = access.workspace_status
    if old == response:
        return lead
    lead_working_save(lead=lead, access=access, values={"workspace_status": response})
    contact_conversion_status_refresh(contact_id=lead.contact_id)
    LeadEvent.objects.create(
        lead=lead,
        workspace=workspace,
        event_type=f"workspace_{response}",
        event_data={"workspace_id": workspace.pk, "old": old, "new": response, "by": by},
    )
    workspace_tracking_record(
        lead=lead,
        workspace_id=workspace.pk,
        action=PARTNER_RESPONSES[response],
        performed_by=by,
        details=f"workspace_status {old or '-'} → {response}",
        metadata={"workspace_status": response},
    )
    return lead
