"""Workspace reads: key lookup and the profile a partner sees about itself."""
from django.db.models import Count, Q

from leadhub.keys import key_digest
from workspaces.models import Workspace


def workspace_get_by_key(*, raw_key: str) -> Workspace | None:
    """One indexed equality lookup on the digest; the raw key is never stored or compared."""
    if not raw_key:
        return None
    return Workspace.objects.filter(api_key=key_digest(raw_key)).first()


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
