"""The base every partner API view builds on: auth, scopes, throttling, pagination, tenancy.

Tenancy rule: a view asks `caller_workspace()` and hands it to a selector. A workspace key gets
its own workspace; a staff user gets None, which selectors read as "all workspaces".
"""
from rest_framework import exceptions
from rest_framework.authentication import SessionAuthentication, TokenAuthentication

from leadhub.api.pagination import IdCursorPagination
from leadhub.api.permissions import HasScope
from leadhub.api.throttles import WorkspaceRateThrottle
from workspaces.api.authentication import WorkspaceKeyAuthentication
from workspaces.selectors import caller_workspace, workspace_get


class PartnerAPIMixin:
    authentication_classes = [WorkspaceKeyAuthentication, SessionAuthentication, TokenAuthentication]
    permission_classes = [HasScope]
    throttle_classes = [WorkspaceRateThrottle]
    pagination_class = IdCursorPagination
    required_scopes: dict = {}

    def caller_workspace(self):
        """The caller's workspace, or None for staff (who see every workspace)."""
        if getattr(self, "swagger_fake_view", False):  # schema generation: no request, no rows
            return None
        return caller_workspace(self.request.user)

    def acting_workspace(self):
        """For endpoints about one workspace: the key's own, or for staff `?workspace=<id>`."""
        workspace = self.caller_workspace()
        if workspace is not None:
            return workspace
        workspace_id = self.request.query_params.get("workspace", "")
        if not workspace_id:
            raise exceptions.ValidationError({"workspace": ["Staff must name the workspace: ?workspace=<id>."]})
        return workspace_get(workspace_id=workspace_id)

    def changed_by(self):
        """Who to record in audit rows: the workspace id, or the staff username."""
        workspace = getattr(self.request.user, "workspace", None)
        return workspace.pk if workspace is not None else f"staff:{self.request.user.get_username()}"
