"""A lead's state: its pipeline status, and the consent hold put on it at ingest."""
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from leads.events import lead_event_emit
from leads.models import Lead, LeadEvent, LeadPipelineStage, LeadStatusHistory, TrackingAction
from leads.signals import lead_consent_released
from leads.services.tracking import lead_lock, workspace_tracking_record
from workspaces.models import EventType


class LeadStatusInvalid(ValidationError):
    """A status that is not an active pipeline stage; `.allowed` lists the ones that are."""

    def __init__(self, status, allowed):
        self.allowed = allowed
        super().__init__(
            {"status": [f"'{status}' is not an active pipeline stage. Allowed: {', '.join(allowed)}."]},
            code="invalid_status",
        )


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
    metadata=None,
):
    """THE status service: every status change (ops, partner API, appointments, conversions).

    Validates against the active pipeline stages (LeadStatusInvalid lists them), then writes the
    lead, `lead_status_history`, a `status_changed` lead event and, when a workspace is party to
    the change, `workspace_tracking` (qualified / rejected / updated). Setting the current
    status again changes nothing.
    """
    allowed = list(LeadPipelineStage.objects.filter(is_active=True).values_list("name", flat=True))
    if new_status not in allowed:
        raise LeadStatusInvalid(new_status, allowed)
    lead = lead_lock(lead)
    old_status = lead.status
    if old_status == new_status:
        return lead
    metadata = dict(metadata or {})
    if workspace is not None:
        metadata.setdefault("workspace_id", workspace.pk)
    lead.status = new_status
    lead.status_changed_at = timezone.now()
    lead.status_changed_by = changed_by
    lead.save(update_fields=["status", "status_changed_at", "status_changed_by", "updated_at"])
    LeadStatusHistory.objects.create(
        lead=lead,
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
    if lead.workspace_id:
        lead_event_emit(
            lead=lead, workspace=lead.workspace, event_type=EventType.LEAD_STATUS_CHANGED, old_status=old_status,
            new_status=new_status, changed_by=changed_by, reason=reason,
        )
    return lead


CONSENT_RELEASED = "consent_released"


@transaction.atomic
def lead_consent_release(*, lead, by: str, reason: str):
    """Ops confirm that a lead held at ingest for missing consent may be worked after all (e.g.
    consent was obtained on a call): the hold is lifted and a `consent_released` lead event keeps
    who and why. Routing and forwarding then treat it like any other lead, and the forwards of
    its appointments that waited are sent (`lead_consent_released`). Releasing a lead that is not
    held changes nothing."""
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": ["Say why the lead may be worked (e.g. consent obtained by phone)."]})
    lead = lead_lock(lead)
    if not lead.held_for_consent:
        return lead
    lead.held_for_consent = False
    lead.save(update_fields=["held_for_consent", "updated_at"])
    LeadEvent.objects.create(
        lead=lead,
        event_type=CONSENT_RELEASED,
        event_data={
            "by": by,
            "reason": reason,
            "consent_value": lead.consent_value,
            "tcpa_compliance": lead.tcpa_compliance,
        },
    )
    lead_consent_released.send(sender=Lead, lead=lead)
    return lead
