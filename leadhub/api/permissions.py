"""Scope checks for the partner API. Staff users work across all workspaces without scopes."""
from rest_framework import exceptions, permissions

UNDECLARED = object()


def is_staff_user(user):
    return bool(user and getattr(user, "is_authenticated", False) and user.is_staff and user.is_active)


class HasScope(permissions.BasePermission):
    """The view declares `required_scopes = {"list": "leads:read", ...}` keyed by action (viewsets)
    or HTTP method (plain views); a key without that scope gets a 403 naming it. `None` means any
    valid key. Fails closed: an action missing from the map is refused to workspace keys."""

    def has_permission(self, request, view):
        user = request.user
        if not (user and user.is_authenticated):
            raise exceptions.NotAuthenticated()
        if is_staff_user(user):
            return True
        workspace = getattr(user, "workspace", None)
        if workspace is None:
            raise exceptions.PermissionDenied("Only workspace API keys and staff users may use this API.")
        if not hasattr(view, request.method.lower()):
            return True  # no such verb here: let DRF answer 405 rather than a scope error
        scope = required_scope(request, view)
        if scope is UNDECLARED:
            raise exceptions.PermissionDenied("This endpoint declares no scope, so API keys may not use it.")
        if scope is not None and not workspace.has_scope(scope):
            raise exceptions.PermissionDenied(
                {"detail": f"This API key lacks the '{scope}' scope.", "missing_scope": scope}
            )
        return True


def required_scope(request, view):
    """Most specific first: "<action>:<METHOD>" (an action serving GET and POST), the action, the
    HTTP method. HEAD and OPTIONS need what a GET of the same endpoint needs."""
    scopes = getattr(view, "required_scopes", {})
    action = getattr(view, "action", None)
    methods = [request.method, "GET"] if request.method in ("HEAD", "OPTIONS") else [request.method]
    for method in methods:
        for key in (f"{action}:{method}", action, method):
            if key in scopes:
                return scopes[key]
    return UNDECLARED
