"""Who may call a partner API action: workspace keys by scope, staff by Django permission."""
from rest_framework import exceptions, permissions

UNDECLARED = object()


def is_staff_user(user):
    return bool(user and getattr(user, "is_authenticated", False) and user.is_staff and user.is_active)


class HasScope(permissions.BasePermission):
    """The view declares, keyed by action (viewsets) or HTTP method (plain views),
    `required_scopes = {"list": "leads:read", ...}` for workspace keys and
    `required_permissions = {"list": "leads.view_lead", ...}` for session-authenticated staff.
    A caller lacking what its action needs gets a 403 naming it. A scope of `None` means any
    valid key. Fails closed for both: an action missing from a map is refused to that caller."""

    def has_permission(self, request, view):
        user = request.user
        if not (user and user.is_authenticated):
            raise exceptions.NotAuthenticated()
        if not hasattr(view, request.method.lower()):
            return True  # no such verb here: let DRF answer 405 rather than a scope error
        if is_staff_user(user):
            return _staff_allowed(request, view, user)
        workspace = getattr(user, "workspace", None)
        if workspace is None:
            raise exceptions.PermissionDenied("Only workspace API keys and staff users may use this API.")
        scope = required_scope(request, view)
        if scope is UNDECLARED:
            raise exceptions.PermissionDenied("This endpoint declares no scope, so API keys may not use it.")
        if scope is not None and not workspace.has_scope(scope):
            raise exceptions.PermissionDenied(
                {"detail": f"This API key lacks the '{scope}' scope.", "missing_scope": scope}
            )
        return True


def _staff_allowed(request, view, user):
    permission = declared(getattr(view, "required_permissions", {}), request, view)
    if permission is UNDECLARED:
        raise exceptions.PermissionDenied("This endpoint declares no staff permission, so staff may not use it.")
    if not user.has_perm(permission):
        raise exceptions.PermissionDenied(
            {"detail": f"Your account lacks the '{permission}' permission.", "missing_permission": permission}
        )
    return True


def required_scope(request, view):
    return declared(getattr(view, "required_scopes", {}), request, view)


def declared(requirements, request, view):
    """Most specific first: "<action>:<METHOD>" (an action serving GET and POST), the action, the
    HTTP method. HEAD and OPTIONS need what a GET of the same endpoint needs."""
    action = getattr(view, "action", None)
    methods = [request.method, "GET"] if request.method in ("HEAD", "OPTIONS") else [request.method]
    for method in methods:
        for key in (f"{action}:{method}", action, method):
            if key in requirements:
                return requirements[key]
    return UNDECLARED
