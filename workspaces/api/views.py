"""The caller's own workspace: profile, outbound webhook settings, its outbound events."""
from django.core.exceptions import ValidationError as DjangoValidationError
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema
from rest_framework import generics, serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from leadhub.api.pagination import IdCursorPagination
from workspaces.api.partner import PartnerAPIMixin
from workspaces.api.serializers import (
    OutboundEventDetailSerializer,
    OutboundEventSerializer,
    RedeliverResultSerializer,
    RedeliverSerializer,
    SigningSecretSerializer,
    WorkspaceProfileSerializer,
    WorkspaceWebhookSerializer,
)
from workspaces.delivery import outbound_event_redeliver, workspace_events_redeliver
from workspaces.filters import OutboundEventFilterSet
from workspaces.models import MANAGE_SECRETS
from workspaces.selectors import outbound_events_visible_to, workspace_profile
from workspaces.services import workspace_signing_secret_rotate, workspace_webhook_update


def _profile_response(workspace):
    profile = workspace_profile(workspace=workspace)
    workspace.totals = profile["totals"]
    return Response(WorkspaceProfileSerializer(workspace).data)


class WorkspaceProfileView(PartnerAPIMixin, APIView):
    """Any valid key may read its own workspace; staff name one with `?workspace=<id>`."""

    required_scopes = {"GET": None}
    required_permissions = {"GET": "workspaces.view_workspace"}

    @extend_schema(responses=WorkspaceProfileSerializer, operation_id="workspace_retrieve")
    def get(self, request):
        return _profile_response(self.acting_workspace())


class WorkspaceWebhookView(PartnerAPIMixin, APIView):
    """Where leadhub delivers this workspace's events. Needs `leads:write`: the webhook receives
    lead data, so a read-only key must not be able to redirect it."""

    required_scopes = {"POST": "leads:write"}
    required_permissions = {"POST": MANAGE_SECRETS}

    @extend_schema(
        request=WorkspaceWebhookSerializer, responses=WorkspaceProfileSerializer, operation_id="workspace_webhook_set"
    )
    def post(self, request):
        workspace = self.acting_workspace()
        serializer = WorkspaceWebhookSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        try:
            workspace_webhook_update(workspace=workspace, **serializer.validated_data)
        except DjangoValidationError as exc:  # the model's own field checks (full_clean)
            raise serializers.ValidationError(exc.message_dict) from None
        return _profile_response(workspace)


# --- Outbound events: the partner's own deliveries, sending again, the signing secret -------------

class EventCursorPagination(IdCursorPagination):
    ordering = "-created_at"  # event ids are random UUIDs: page by time


class OutboundEventListView(PartnerAPIMixin, generics.ListAPIView):
    """`GET /api/v1/workspace/events/`: the caller's events and their delivery state: `lead.*`
    with `leads:read`, `appointment.*` with `appointments:read`, `conversion.*` with
    `conversions:read`, `workspace.*` with `billing:read` (any key may ask; it sees the families
    its scopes read)."""

    serializer_class = OutboundEventSerializer
    filterset_class = OutboundEventFilterSet
    ordering_fields = ("created_at",)
    pagination_class = EventCursorPagination
    required_scopes = {"GET": None}
    required_permissions = {"GET": "workspaces.view_outboundevent"}

    def get_queryset(self):
        return outbound_events_visible_to(workspace=self.caller_workspace())


class OutboundEventDetailView(PartnerAPIMixin, generics.RetrieveAPIView):
    """One event with every delivery attempt (of a family the key may read, as in the list)."""

    serializer_class = OutboundEventDetailSerializer
    required_scopes = {"GET": None}
    required_permissions = {"GET": "workspaces.view_outboundevent"}

    def get_queryset(self):
        return outbound_events_visible_to(workspace=self.caller_workspace()).prefetch_related("attempt_log")


class WebhookRedeliverView(PartnerAPIMixin, APIView):
    """`POST /api/v1/workspace/webhook/redeliver/`: send one event, or every failed/skipped one, again."""

    required_scopes = {"POST": "leads:write"}
    required_permissions = {"POST": "workspaces.change_outboundevent"}

    @extend_schema(request=RedeliverSerializer, responses={202: RedeliverResultSerializer})
    def post(self, request):
        workspace = self.acting_workspace()
        serializer = RedeliverSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        event_id = serializer.validated_data.get("event_id")
        if event_id is None:
            queued = workspace_events_redeliver(workspace=workspace)
        else:
            event = get_object_or_404(outbound_events_visible_to(workspace=workspace), pk=event_id)
            queued = outbound_event_redeliver(event=event)
        return Response({"queued": queued}, status=status.HTTP_202_ACCEPTED)


class WebhookSecretView(PartnerAPIMixin, APIView):
    """`POST /api/v1/workspace/webhook/secret/`: a new signing secret, shown in this response only.
    The previous one keeps signing too for 24 hours, so the receiver can switch without an outage."""

    required_scopes = {"POST": "leads:write"}
    required_permissions = {"POST": MANAGE_SECRETS}

    @extend_schema(request=None, responses=SigningSecretSerializer)
    def post(self, request):
        workspace = self.acting_workspace()
        secret = workspace_signing_secret_rotate(workspace=workspace)
        return Response(SigningSecretSerializer(
            {"signing_secret": secret, "previous_secret_valid_until": workspace.webhook_secret_previous_expires_at}
        ).data)
