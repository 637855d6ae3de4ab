"""Workspace reads: which workspace a partner API caller is, and the profile it sees about itself."""
from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.http import Http404
from django.utils import timezone

from leadhub.api.permissions import is_staff_user
from leadhub.keys import key_lookup
from workspaces.models import DeliveryStatus, LeadForwardingRule, OutboundEvent, Scope, Workspace


def workspace_for_key(raw_key: str) -> Workspace | None:
    """The workspace whose API key this is, current or within a rotation's grace (one indexed lookup
    of the peppered digest), or None."""
    return Workspace.objects.filter(key_lookup(raw_key, timezone.now())).first()


def caller_workspace(user) -> Workspace | None:
    """Partner tenancy: the workspace a caller acts as. A workspace key's principal is its own
    workspace; a staff user is None, read by every selector as "all workspaces"; anyone else is
    no tenant at all and is refused."""
    workspace = getattr(user, "workspace", None)
    if workspace is not None:
        return workspace
    if is_staff_user(user):
        return None
    raise PermissionDenied("Only workspace API keys and staff users may use this API.")


def workspace_get(*, workspace_id: str) -> Workspace:
    """The workspace staff named (`?workspace=<id>`); a 404 naming the id when there is none."""
    workspace = Workspace.objects.filter(pk=workspace_id).first()
    if workspace is None:
        raise Http404(f"No workspace '{workspace_id}'.")
    return workspace


# What the apps above workspaces add to a workspace's profile (leads: `totals` over the leads it
# holds, `leads.selectors.workspace_lead_totals`), which workspaces may not read itself: each
# registers its section at ready(), by name, as a read `(*, workspace) -> value`.
WORKSPACE_PROFILE_SECTIONS: dict = {}


def workspace_profile_section_register(*, name: str, read):
    WORKSPACE_PROFILE_SECTIONS[name] = read


def workspace_profile(*, workspace: Workspace) -> dict:
    """The workspace's own settings plus the sections the apps above contribute (the totals over
    the leads it holds: one query)."""
    return {"workspace": workspace, **{name: read(workspace=workspace) for name, read in WORKSPACE_PROFILE_SECTIONS.items()}}


# Which read scope shows a family of a workspace's data: an outbound event is named by the family
# it carries (`lead.sold`, `appointment.created`), and a lead's timeline lists its appointments and
# conversions by the same rule, so a key sees there only what the matching API would show it.
READ_SCOPES = {"lead": Scope.LEADS_READ, "appointment": Scope.APPOINTMENTS_READ, "conversion": Scope.CONVERSIONS_READ,
               "workspace": Scope.BILLING_READ}  # `workspace.balance_low`: the balance the billing scope reads


def readable_by(*, workspace: Workspace | None, family: str, owner: str = "workspace") -> Q:
    """The rows of `family` (a READ_SCOPES key) a caller reads: staff (`workspace=None`) every
    one; a workspace only its own (`owner` names the row's workspace column: routed, recorded or
    addressed to it), and none at all without the family's read scope."""
    if workspace is None:
        return Q()
    if not workspace.has_scope(READ_SCOPES[family]):
        return Q(pk__in=[])
    return Q(**{owner: workspace})


def outbound_events_visible_to(*, workspace: Workspace | None):
    """A partner's own outbound events of the families its key may read (`readable_by`), less
    those withdrawn when it stopped holding their subject and those waiting while their lead is
    held; staff (`workspace=None`) see all, newest first."""
    if workspace is None:
        return OutboundEvent.objects.order_by("-created_at")
    readable = Q(pk__in=[])
    for family in READ_SCOPES:
        readable |= Q(event_type__startswith=f"{family}.") & readable_by(workspace=workspace, family=family)
    return OutboundEvent.objects.filter(readable, withdrawn_at__isnull=True).exclude(
        status=DeliveryStatus.HELD
    ).order_by("-created_at")


def webhook_targets_workspace(*, webhook_id: str, workspace_id: str) -> bool:
    """Does the inbound webhook's config list this workspace as a direct target (an active
    forwarding rule delivering to it)? Only then may its posts name the workspace."""
    return LeadForwardingRule.objects.filter(
        webhook_id=webhook_id, target_workspace_id=workspace_id, is_active=True, target_workspace__is_active=True
    ).exists()
