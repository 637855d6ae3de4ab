"""The caller's own workspace: `GET /api/v1/workspace/` and `POST /api/v1/workspace/webhook/`."""
from django.core.exceptions import ValidationError as DjangoValidationError
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from leadhub.api.views import PartnerAPIMixin
from workspaces.api.serializers import WorkspaceProfileSerializer, WorkspaceWebhookSerializer
from workspaces.selectors import workspace_profile
from workspaces.services import workspace_webhook_update


def _profile_response(workspace):
    profile = workspace_profile(workspace=workspace)
    workspace.totals = profile["totals"]
    return Response(WorkspaceProfileSerializer(workspace).data)


class WorkspaceProfileView(PartnerAPIMixin, APIView):
    """Any valid key may read its own workspace; staff name one with `?workspace=<id>`."""

    required_scopes = {"GET": None}

    @extend_schema(responses=WorkspaceProfileSerializer, operation_id="workspace_retrieve")
    def get(self, request):
        return _profile_response(self.acting_workspace())


class WorkspaceWebhookView(PartnerAPIMixin, APIView):
    """Where leadhub delivers this workspace's events. Needs `leads:write`: the webhook receives
    lead data, so a read-only key must not be able to redirect it."""

    required_scopes = {"POST": "leads:write"}

    @extend_schema(
        request=WorkspaceWebhookSerializer, responses=WorkspaceProfileSerializer, operation_id="workspace_webhook_set"
    )
    def post(self, request):
        workspace = self.acting_workspace()
        serializer = WorkspaceWebhookSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        try:
            workspace_webhook_update(workspace=workspace, **serializer.validated_data)
        except DjangoValidationError as exc:
            raise serializers.ValidationError(exc.message_dict)
        return _profile_response(workspace)
