"""Workspace API keys on the partner API: `Authorization: Bearer <key>` (or `Api-Key <key>`).

The key is found by one indexed lookup of its peppered digest (see leadhub.keys), the current key
or, during a rotation's grace, the previous one. The workspace
model is reached through the app registry, not an import, because this is the base layer.
"""
from django.apps import apps
from django.core.cache import cache
from django.utils import timezone
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import authentication, exceptions

from leadhub.keys import key_lookup

SCHEMES = ("bearer", "api-key")
ACTIVITY_STAMP_SECONDS = 60


class WorkspacePrincipal:
    """`request.user` of a key-authenticated call: the workspace acting as the caller."""

    is_authenticated = True
    is_anonymous = False
    is_staff = False
    is_active = True

    def __init__(self, workspace):
        self.workspace = workspace
        self.pk = self.id = f"workspace:{workspace.pk}"

    def __str__(self):
        return self.pk


def touch_activity(workspace_id):
    """Stamp `last_activity_at` at most once a minute per workspace: the cache key decides, so
    API traffic never becomes a write per request."""
    if cache.add(f"workspace-activity:{workspace_id}", 1, ACTIVITY_STAMP_SECONDS):
        apps.get_model("workspaces", "Workspace").objects.filter(pk=workspace_id).update(
            last_activity_at=timezone.now()
        )


class WorkspaceKeyAuthentication(authentication.BaseAuthentication):
    """Sets `request.user` to a WorkspacePrincipal and `request.auth` to the Workspace."""

    def authenticate(self, request):
        parts = authentication.get_authorization_header(request).split()
        if not parts or parts[0].decode("latin-1").lower() not in SCHEMES:
            return None
        if len(parts) != 2:
            raise exceptions.AuthenticationFailed("Invalid Authorization header: expected 'Bearer <api key>'.")
        try:
            raw_key = parts[1].decode("ascii")
        except UnicodeDecodeError:
            raise exceptions.AuthenticationFailed("Invalid API key.")
        workspaces = apps.get_model("workspaces", "Workspace").objects
        workspace = workspaces.filter(key_lookup(raw_key, timezone.now())).first()
        if workspace is None:
            raise exceptions.AuthenticationFailed("Invalid API key.")
        if not workspace.is_active:
            raise exceptions.AuthenticationFailed("Workspace is inactive.")
        touch_activity(workspace.pk)
        return WorkspacePrincipal(workspace), workspace

    def authenticate_header(self, request):
        # Makes DRF answer 401 (not 403) when credentials are missing or wrong.
        return 'Bearer realm="leadhub"'


class WorkspaceKeyScheme(OpenApiAuthenticationExtension):
    target_class = "leadhub.api.authentication.WorkspaceKeyAuthentication"
    name = "workspaceKey"

    def get_security_definition(self, auto_schema):
        return {
            "type": "http",
            "scheme": "bearer",
            "description": (
                "Workspace API key (`lh_live_...`): `Authorization: Bearer <key>`; "
                "`Authorization: Api-Key <key>` is accepted too."
            ),
        }
