"""What the lead writes after ingest share: the row lock that serialises them and the
`workspace_tracking` row each leaves for the workspace party to the change."""
from leadhub.actors import SYSTEM
from leads.models import Lead, LeadEvent, TrackingAction, WorkspaceTracking
from workspaces.models import DeliveryStatus, EventType


def lead_lock(lead):
    """Re-read the lead under a row lock so concurrent assignment/status writes serialise."""
    return Lead.objects.select_for_update().get(pk=lead.pk)


def workspace_tracking_record(*, lead, workspace_id, action, performed_by, details="", metadata=None):
    return WorkspaceTracking.objects.create(
        contact_id=lead.contact_id,
        lead=lead,
        workspace_id=workspace_id,
        action=action,
        action_details=details,
        performed_by=performed_by,
        metadata=metadata or {},
    )


FORWARDED = "forwarded"


def lead_forward_mirror(*, event, attempt=None):
    """A `lead.forwarded` delivery that succeeded leaves the trail an appointment's forward does
    (in the delivery's transaction): a `forwarded` lead event and, when a workspace received it,
    a `sent` tracking row. An external target is named by its rule, never by its URL (the lead's
    events are shown to its workspace)."""
    if event.event_type != EventType.LEAD_FORWARDED or event.subject_type != "lead":
        return
    if attempt is None or event.status != DeliveryStatus.DELIVERED:
        return
    lead = Lead.objects.filter(pk=event.subject_id).only("pk", "contact_id").first()
    if lead is None:
        return
    details = {"event_id": str(event.pk), "attempts": event.attempts, "latency_ms": attempt.latency_ms,
               "status_code": attempt.status_code}
    if event.forwarding_rule_id is not None:
        details["forwarding_rule_id"] = event.forwarding_rule_id
    if event.workspace_id is not None:
        details["workspace_id"] = event.workspace_id
        workspace_tracking_record(
            lead=lead, workspace_id=event.workspace_id, action=TrackingAction.SENT, performed_by=SYSTEM,
            details=f"Lead #{lead.pk} forwarded.", metadata={"event_id": str(event.pk)},
        )
    LeadEvent.objects.create(lead=lead, event_type=FORWARDED, event_data={"by": SYSTEM, **details})
