"""A lead's pipeline status (its holds are leads.holds')."""
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone

from leadhub.actors import is_staff_actor
from leadhub.errors import ServiceConflict
from leads.gate import lead_event_send
from leads.models import LeadEvent, LeadPipelineStage, LeadStatusHistory, TrackingAction
from leads.services.access import LeadInvalid, lead_access_for, lead_working_save, working_owner
from leads.services.tracking import lead_lock, workspace_tracking_record
from workspaces.models import EventType


class LeadStatusInvalid(LeadInvalid):
    """A status that is not an active pipeline stage; `.allowed` lists the ones that are (the
    API's answer carries them)."""

    def __init__(self, status, allowed):
        self.allowed = allowed
        super().__init__({"status": [f"'{status}' is not an active pipeline stage. Allowed: {', '.join(allowed)}."]})


CONVERTED = "converted"


class LeadConverted(ServiceConflict):
    """A lead with an active conversion stays `converted` (the API's 409 naming `status`)."""

    code = "lead_converted"

    def __init__(self, lead):
        message = (f"Lead {lead.pk} is converted (conversion {lead.conversion_id} is active): it leaves "
                   "'converted' when its conversions are voided, or by ops with a reason.")
        super().__init__(message, errors={"status": [message]})


def _leaving_converted_check(lead, *, old_status, changed_by, reason):
    """A converted lead leaves `converted` only once its conversions are voided (then its
    `conversion_id` is empty), or by ops (a staff actor) saying why: otherwise the pipeline and
    the conversion totals would tell two stories."""
    if old_status != CONVERTED or not lead.conversion_id:
        return
    if not is_staff_actor(changed_by):
        raise LeadConverted(lead)
    if not reason.strip():
        raise LeadInvalid({"reason": [f"Lead {lead.pk} has an active conversion: say why it leaves 'converted'."]})


STATUS_TRACKING = {"qualified": TrackingAction.QUALIFIED, "rejected": TrackingAction.REJECTED}


@transaction.atomic
def lead_status_change(
    *,
    lead,
    new_status: str,
    changed_by: str,
    changed_by_name: str = "",
    reason: str = "",
    notes: str = "",
    workspace=None,
    holder=None,
    metadata=None,
):
    """THE status service: every status change (ops, partner API, appointments, conversions).

    The status changed is one holder's: `workspace` (the acting partner, which also gets a
    `workspace_tracking` row: qualified / rejected / updated), else `holder` (the workspace an
    appointment or conversion belongs to), else the primary assignee; a lead nobody holds changes
    its own column. The lead's column follows its primary assignee's status. Validates against
    the active pipeline stages (LeadStatusInvalid lists them), then writes the status,
    `lead_status_history` and a `status_changed` lead event, both attributed to that holder, and
    tells the holder (`lead.status_changed`). Setting the current status again changes nothing.
    A lead with an active conversion leaves `converted` only by ops with a reason (LeadConverted
    otherwise); voiding its conversions moves it back (lead_conversions_voided).
    """
    allowed = list(LeadPipelineStage.objects.filter(is_active=True).values_list("name", flat=True))
    if new_status not in allowed:
        raise LeadStatusInvalid(new_status, allowed)
    lead = lead_lock(lead)
    owner = working_owner(lead, workspace or holder)
    access = lead_access_for(lead=lead, workspace=owner) if owner is not None else None
    if owner is not None and access is None:
        raise PermissionDenied(f"Workspace '{owner.pk}' does not hold lead {lead.pk}.")
    old_status = access.status if access is not None else lead.status
    if old_status == new_status:
        return lead
    _leaving_converted_check(lead, old_status=old_status, changed_by=changed_by, reason=reason)
    metadata = dict(metadata or {})
    lead_working_save(lead=lead, access=access, values={"status": new_status, "status_changed_at": timezone.now()})
    if access is None or access.workspace_id == lead.workspace_id:
        lead.status_changed_by = changed_by
        lead.save(update_fields=["status_changed_by"])
    LeadStatusHistory.objects.create(
        lead=lead,
        workspace=owner,
        old_status=old_status,
        new_status=new_status,
        changed_by=changed_by,
        changed_by_name=changed_by_name,
        reason=reason,
        notes=notes,
        metadata=metadata,
    )
    LeadEvent.objects.create(
        lead=lead,
        workspace=owner,
        event_type=LeadEvent.STATUS_CHANGED,
        event_data={"old_status": old_status, "new_status": new_status, "changed_by": changed_by, **metadata},
    )
    if workspace is not None:
        workspace_tracking_record(
            lead=lead,
            workspace_id=workspace.pk,
            action=STATUS_TRACKING.get(new_status, TrackingAction.UPDATED),
            performed_by=changed_by,
            details=f"status {old_status} → {new_status}" + (f": {reason}" if reason else ""),
            metadata={"old_status": old_status, "new_status": new_status},
        )
    if owner is not None:
        lead_event_send(
            lead=lead, workspace=owner, access=access, event_type=EventType.LEAD_STATUS_CHANGED,
            old_status=old_status, new_status=new_status, changed_by=changed_by, reason=reason,
        )
    return lead


def lead_conversions_voided(*, lead, by: str, reason: str):
    """The lead's last counted conversion was voided: it goes back to the stage it was in before
    it converted (its status history), with the void's reason. A lead no longer `converted`, or
    whose earlier stage is no longer active, keeps its status: it can be moved like any lead."""
    lead = lead_lock(lead)
    if lead.status != CONVERTED or lead.conversion_id:
        return lead
    before = (
        LeadStatusHistory.objects.filter(lead=lead, new_status=CONVERTED).order_by("-created_at", "-id")
        .values_list("old_status", flat=True).first()
    )
    if not before or not LeadPipelineStage.objects.filter(name=before, is_active=True).exists():
        return lead
    return lead_status_change(lead=lead, new_status=before, changed_by=by, reason=f"conversion voided: {reason}")
