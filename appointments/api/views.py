"""Appointment API views: thin HTTP adapters around appointments.services."""
from django.http import JsonResponse, QueryDict
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response
from rest_framework.views import APIView

from appointments.api import serializers
from appointments.filters import AppointmentFilterSet
from appointments.selectors import appointment_list
from appointments.services.common import AppointmentError
from appointments.services.intake import appointment_intake, appointment_intake_validate, appointment_submit
from appointments.services.status import appointment_update
from leadhub.api.exceptions import Refusal
from leadhub.api.schema import WebhookTestModeSerializer, error_response, webhook_refusals
from leadhub.api.serializers import unknown_fields_check
from providers.auth import API_KEY_HEADER, PROVIDER_HEADER
from providers.gate import WebhookEndpoint, webhook_post
from providers.payloads import DOCUMENTED_MEDIA_TYPES
from providers.signatures import SIGNATURE_HEADER
from workspaces.api.partner import PartnerAPIMixin


def _validate(*, webhook, payload):
    try:
        appointment_intake_validate(webhook=webhook, payload=payload)
    except AppointmentError as exc:
        raise Refusal(422, exc.code, exc.reason, errors=exc.errors) from None


def _intake(**post):
    try:
        result = appointment_intake(**post)
    except AppointmentError as exc:
        raise Refusal.from_service(exc) from None
    return JsonResponse(serializers.created_body(result), status=201)


class AppointmentWebhookView(WebhookEndpoint, APIView):
    """`POST /api/v1/webhooks/<webhook_id>/appointments/`: call centres and scheduling providers.

    Same gate as the lead webhook (providers.gate): provider auth, signature, rate limits, and
    every refusal kept as a rejected submission (endpoint "appointment").
    """

    authentication_classes = []
    permission_classes = []
    endpoint = "appointment"

    @extend_schema(
        operation_id="appointment_webhook_post",
        summary="Post an appointment to a provider webhook",
        description=(
            "One appointment per request (JSON or form). The contact is found by (webhook, phone) or created; "
            "a lead is linked when named or when the contact has exactly one open lead for `service_type`. "
            "Routing picks the workspace (or a `workspace_id` you name, if this webhook lists it as a direct "
            "target; else it is ignored and listed in `disposition.ignored_fields`); the response says which and "
            "why. Checks run in the lead webhook's order: 415/413, 404, 401/403, 401 (signature), 429, 400, "
            "then 422 naming each invalid field. The rate limits are the lead webhook's, counted together with its "
            "posts. A double booking of `assigned_to` comes back in `warnings`."
        ),
        tags=["webhooks"],
        auth=[],
        parameters=[
            OpenApiParameter(PROVIDER_HEADER, str, OpenApiParameter.HEADER, required=True),
            OpenApiParameter(API_KEY_HEADER, str, OpenApiParameter.HEADER),
            OpenApiParameter(SIGNATURE_HEADER, str, OpenApiParameter.HEADER),
        ],
        request={media: serializers.AppointmentRequestSerializer for media in DOCUMENTED_MEDIA_TYPES},
        responses=webhook_refusals({
            201: serializers.AppointmentCreatedSerializer,
            200: OpenApiResponse(WebhookTestModeSerializer,
                                 description="A webhook in test mode: the appointment is valid; nothing stored."),
        }),
    )
    def post(self, request, webhook_id):
        return webhook_post(request._request, webhook_id=webhook_id, endpoint=self.endpoint, handle=_intake,
                            validate=_validate)


class PartnerAppointmentViewSet(
    PartnerAPIMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    """Appointments routed to the calling workspace (every appointment for staff)."""

    serializer_class = serializers.PartnerAppointmentSerializer
    filterset_class = AppointmentFilterSet
    ordering_fields = ("id", "scheduled_at", "created_at", "updated_at")
    lookup_value_regex = r"\d+"
    http_method_names = ["get", "post", "patch", "head", "options"]
    required_scopes = {
        "list": "appointments:read",
        "retrieve": "appointments:read",
        "create": "appointments:write",
        "partial_update": "appointments:write",
    }
    required_permissions = {
        "list": "appointments.view_appointment",
        "retrieve": "appointments.view_appointment",
        "create": "appointments.add_appointment",
        "partial_update": "appointments.change_appointment",
    }

    def get_queryset(self):
        return appointment_list(workspace=self.caller_workspace())

    @extend_schema(
        request=serializers.AppointmentRequestSerializer,
        responses={201: serializers.AppointmentCreatedSerializer},
        summary="Create an appointment for one of your leads",
        description="The contact is the lead's; `lead_ids` adds more leads of that contact. A workspace key's "
                    "appointment is its own (no routing). 422 names each invalid field.",
    )
    def create(self, request):
        payload = request.data.dict() if isinstance(request.data, QueryDict) else request.data
        unknown_fields_check(payload, serializers.AppointmentRequestSerializer().fields)
        result = appointment_submit(payload=payload, created_by=self.actor(), workspace=self.caller_workspace())
        return Response(serializers.created_body(result), status=status.HTTP_201_CREATED)

    @extend_schema(
        request=serializers.AppointmentPatchSerializer,
        responses={
            200: serializers.PartnerAppointmentResponseSerializer,
            422: error_response("Invalid values; an illegal status change also lists `allowed`, the next ones."),
        },
    )
    def partial_update(self, request, pk=None):
        """Status (enforced machine), a new time (→ rescheduled), completion details, working fields.
        The response carries `warnings` (e.g. a double booking of `assigned_to`)."""
        appointment = self.get_object()
        patch = serializers.AppointmentPatchSerializer(data=request.data)
        if not patch.is_valid():
            raise ValidationError(patch.errors)
        data = dict(patch.validated_data)
        appointment, warnings = appointment_update(
            appointment=appointment, changed_by=self.actor(), reason=data.pop("reason", ""), **data
        )
        appointment = self.get_queryset().get(pk=appointment.pk)
        return Response({**self.get_serializer(appointment).data, "warnings": warnings})
