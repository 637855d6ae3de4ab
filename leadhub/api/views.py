"""The base every partner API view builds on: auth, scopes, throttling, pagination, tenancy.

Tenancy rule: a view asks `caller_workspace()` and hands it to a selector. A workspace key gets
its own workspace; a staff user gets None, which selectors read as "all workspaces".
"""
from django.apps import apps
from rest_framework import exceptions
from rest_framework.authentication import SessionAuthentication

from leadhub.api.authentication import WorkspaceKeyAuthentication
from leadhub.api.pagination import IdCursorPagination
from leadhub.api.parsers import DepthLimitedJSONParser
from leadhub.api.permissions import HasScope, is_staff_user
from leadhub.api.throttles import WorkspaceRateThrottle


class PartnerAPIMixin:
    authentication_classes = [WorkspaceKeyAuthentication, SessionAuthentication]
    # Partner bodies are JSON only: one documented media type that client generators handle.
    parser_classes = [DepthLimitedJSONParser]
    permission_classes = [HasScope]
    throttle_classes = [WorkspaceRateThrottle]
    pagination_class = IdCursorPagination
    required_scopes: dict = {}

    def caller_workspace(self):
        """The caller's workspace, or None for staff (who see every workspace)."""
        if getattr(self, "swagger_fake_view", False):  # schema generation: no request, no rows
            return None
        workspace = getattr(self.request.user, "workspace", None)
        if workspace is not None:
            return workspace
        if is_staff_user(self.request.user):
            return None
        raise exceptions.PermissionDenied("Only workspace API keys and staff users may use this API.")

    def acting_workspace(self):
        """For endpoints about one workspace: the key's own, or for staff `?workspace=<id>`."""
        workspace = self.caller_workspace()
        if workspace is not None:
            return workspace
        workspace_id = self.request.query_params.get("workspace", "")
        if not workspace_id:
            raise exceptions.ValidationError({"workspace": ["Staff must name the workspace: ?workspace=<id>."]})
        workspace = apps.get_model("workspaces", "Workspace").objects.filter(pk=workspace_id).first()
        if workspace is None:
            raise exceptions.NotFound(f"No workspace '{workspace_id}'.")
        return workspace

    def changed_by(self):
        """Who to record in audit rows: the workspace id, or the staff username."""
        workspace = getattr(self.request.user, "workspace", None)
        return workspace.pk if workspace is not None else f"staff:{self.request.user.get_username()}"
