"""Appointment API views: thin HTTP adapters around appointments.services."""
from django.http import JsonResponse, QueryDict
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response
from rest_framework.views import APIView

from appointments.api import serializers
from appointments.filters import AppointmentFilterSet
from appointments.selectors import appointment_list
from appointments.services import (
    AppointmentError,
    TransitionNotAllowed,
    appointment_intake,
    appointment_submit,
    appointment_update,
)
from leadhub.api.exceptions import Refusal, failure_body
from leadhub.api.schema import FailureSerializer, webhook_refusals
from leadhub.api.schema import FailureSerializer, webhook_refusals
from leadhub.api.views import PartnerAPIMixin
from providers.auth import API_KEY_HEADER, PROVIDER_HEADER
from providers.gate import webhook_post
from providers.payloads import ACCEPTED_MEDIA_TYPES
from providers.signatures import SIGNATURE_HEADER


def error_response(request, exc):
    """422 in the one failure shape; an illegal transition also lists `allowed` next states."""
    body = failure_body(code=exc.code, reason=exc.reason, errors=exc.errors,
                        request_id=getattr(request._request, "request_id", ""))
    if isinstance(exc, TransitionNotAllowed):
        body["allowed"] = exc.allowed
    return Response(body, status=status.HTTP_422_UNPROCESSABLE_ENTITY)


def _intake(**post):
    try:
        result = appointment_intake(**post)
    except AppointmentError as exc:
        raise Refusal(422, exc.code, exc.reason, errors=exc.errors) from None
    return JsonResponse(serializers.created_body(result), status=201)


class AppointmentWebhookView(APIView):
    """`POST /api/v1/webhooks/<webhook_id>/appointments/`: call centres and scheduling providers.

    Same gate as the lead webhook (providers.gate): provider auth, signature, rate limits, and
    every refusal kept as a rejected submission (endpoint "appointment").
    """

    authentication_classes = []
    permission_classes = []

    @extend_schema(
        operation_id="appointment_webhook_post",
        summary="Post an appointment to a provider webhook",
        description=(
            "One appointment per request (JSON or form). The contact is found by (webhook, phone) or created; "
            "a lead is linked when named or when the contact has exactly one open lead for `service_type`. "
            "Routing picks the workspace (or an active `workspace_id` you name); the response says which and "
            "why. Checks run in the lead webhook's order: 415/413, 404, 401/403, 401 (signature), 429, 400, "
            "then 422 naming each invalid field. A double booking of `assigned_to` comes back in `warnings`."
        ),
        tags=["webhooks"],
        auth=[],
        parameters=[
            OpenApiParameter(PROVIDER_HEADER, str, OpenApiParameter.HEADER, required=True),
            OpenApiParameter(API_KEY_HEADER, str, OpenApiParameter.HEADER),
            OpenApiParameter(SIGNATURE_HEADER, str, OpenApiParameter.HEADER),
        ],
        request={media: serializers.AppointmentRequestSerializer for media in ACCEPTED_MEDIA_TYPES},
        responses=webhook_refusals({201: serializers.AppointmentCreatedSerializer}),
    )
    def post(self, request, webhook_id):
        return webhook_post(request._request, webhook_id=webhook_id, endpoint="appointment", handle=_intake)


class PartnerAppointmentViewSet(
    PartnerAPIMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    """Appointments routed to the calling workspace (every appointment for staff)."""

    serializer_class = serializers.PartnerAppointmentSerializer
    filterset_class = AppointmentFilterSet
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
        responses={201: serializers.AppointmentCreatedSerializer, 422: FailureSerializer},
        summary="Create an appointment for one of your leads",
        description="The contact is the lead's; `lead_ids` adds more leads of that contact. A workspace key's "
                    "appointment is its own (no routing). 422 names each invalid field.",
    )
    def create(self, request):
        payload = request.data.dict() if isinstance(request.data, QueryDict) else request.data
        try:
            result = appointment_submit(payload=payload, created_by=self.changed_by(),
                                        workspace=self.caller_workspace())
        except AppointmentError as exc:
            return error_response(request, exc)
        return Response(serializers.created_body(result), status=status.HTTP_201_CREATED)

    @extend_schema(
        request=serializers.AppointmentPatchSerializer,
        responses={200: serializers.PartnerAppointmentSerializer, 422: FailureSerializer},
    )
    def partial_update(self, request, pk=None):
        """Status (enforced machine), a new time (→ rescheduled), completion details, working fields.
        The response carries `warnings` (e.g. a double booking of `assigned_to`)."""
        appointment = self.get_object()
        patch = serializers.AppointmentPatchSerializer(data=request.data)
        if not patch.is_valid():
            raise ValidationError(patch.errors)
        data = dict(patch.validated_data)
        try:
            appointment, warnings = appointment_update(
                appointment=appointment, changed_by=self.changed_by(), reason=data.pop("reason", ""), **data
            )
        except AppointmentError as exc:
            return error_response(request, exc)
        appointment = self.get_queryset().get(pk=appointment.pk)
        return Response({**self.get_serializer(appointment).data, "warnings": warnings})
