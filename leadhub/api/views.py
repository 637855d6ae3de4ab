"""The base every partner API view builds on: auth, scopes, throttling, pagination, tenancy.

Tenancy rule: a view asks `caller_workspace()` and hands it to a selector. A workspace key gets
its own workspace; a staff user gets None, which selectors read as "all workspaces".
"""
from django.apps import apps
from rest_framework import exceptions
from rest_framework.authentication import SessionAuthentication, TokenAuthentication
from rest_framework.settings import api_settings

from leadhub.api.authentication import WorkspaceKeyAuthentication
from leadhub.api.exceptions import MalformedRequest
from leadhub.api.pagination import IdCursorPagination
from leadhub.api.permissions import HasScope, is_staff_user
from leadhub.api.throttles import WorkspaceRateThrottle


class PartnerAPIMixin:
    authentication_classes = [WorkspaceKeyAuthentication, SessionAuthentication, TokenAuthentication]
    permission_classes = [HasScope]
    throttle_classes = [WorkspaceRateThrottle]
    pagination_class = IdCursorPagination
    required_scopes: dict = {}

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        query_params_check(request.query_params, self)

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
            raise MalformedRequest({"workspace": ["Staff must name the workspace: ?workspace=<id>."]})
        workspace = apps.get_model("workspaces", "Workspace").objects.filter(pk=workspace_id).first()
        if workspace is None:
            raise exceptions.NotFound(f"No workspace '{workspace_id}'.")
        return workspace

    def changed_by(self):
        """Who to record in audit rows: the workspace id, or the staff username."""
        workspace = getattr(self.request.user, "workspace", None)
        return workspace.pk if workspace is not None else f"staff:{self.request.user.get_username()}"


def accepted_query_params(view) -> set:
    """Every query parameter the view reads: its filters (both spellings of a range), the
    pagination and ordering parameters, analytics' `query_serializer`, and staff's `?workspace=`."""
    names = {"workspace"}
    filterset_class = getattr(view, "filterset_class", None)
    if filterset_class is not None:
        for name, filter_ in filterset_class.base_filters.items():
            suffixes = getattr(filter_.field.widget, "suffixes", None) or [""]  # ranges: `<name>_after`, ...
            names.update(f"{name}_{suffix}" if suffix else name for suffix in suffixes)
    paginator = getattr(view, "paginator", None)
    if paginator is not None:
        names.update({paginator.cursor_query_param, paginator.page_size_query_param})
    if getattr(view, "ordering_fields", None):
        names.add(api_settings.ORDERING_PARAM)
    query_serializer = getattr(view, "query_serializer", None)
    if query_serializer is not None:
        names.update(query_serializer().fields)
    return names


def query_params_check(query_params, view):
    """A 400 naming every query parameter the view does not read, and a bad `page_size`: a
    misspelled filter must not silently widen the answer."""
    accepted = accepted_query_params(view)
    errors = {name: ["Unknown query parameter."] for name in sorted(set(query_params) - accepted)}
    paginator = getattr(view, "paginator", None)
    if paginator is not None and paginator.page_size_query_param in query_params:
        value = query_params[paginator.page_size_query_param]
        if not (value.isdigit() and 1 <= int(value) <= paginator.max_page_size):
            errors[paginator.page_size_query_param] = [f"A whole number from 1 to {paginator.max_page_size}."]
    if errors:
        raise MalformedRequest(errors)
