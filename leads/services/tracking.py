"""What the lead writes after ingest share: the row lock that serialises them and the
`workspace_tracking` row each leaves for the workspace party to the change."""
from leads.models import Lead, WorkspaceTracking


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
