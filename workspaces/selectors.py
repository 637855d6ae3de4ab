"""Workspace reads: the profile a partner sees about itself."""
from django.db.models import Count, Q

from workspaces.models import OutboundEvent, Workspace


def workspace_profile(*, workspace: Workspace) -> dict:
    """The workspace's own settings plus totals over the leads assigned to it (one query)."""
    totals = workspace.leads.aggregate(
        leads_total=Count("id"),
        leads_assigned=Count("id", filter=Q(workspace_status="assigned")),
        leads_accepted=Count("id", filter=Q(workspace_status="accepted")),
        leads_rejected=Count("id", filter=Q(workspace_status="rejected")),
        leads_converted=Count("id", filter=Q(workspace_status="converted")),
    )
    return {"workspace": workspace, "totals": totals}


def outbound_events_visible_to(*, workspace: Workspace | None):
    """A partner's own outbound events (staff, `workspace=None`, see all), newest first."""
    events = OutboundEvent.objects.all() if workspace is None else OutboundEvent.objects.filter(workspace=workspace)
    return events.order_by("-created_at")
