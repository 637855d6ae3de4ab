"""`/api/v1/conversions/`: workspaces report, correct and void their conversions.

Thin: tenancy comes from the selectors, every write from `conversions.services`, and service
errors become one status each — 400 bad field, 404 not yours, 409 key reused with another body,
conversion already void or its lead no longer yours, 422 no exchange rate for that currency and day.
"""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import exceptions, mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from conversions.api.serializers import (
    ConversionCreateSerializer,
    ConversionPatchSerializer,
    ConversionSerializer,
    ConversionVoidSerializer,
)
from conversions.filters import ConversionFilterSet
from conversions.selectors import conversion_list
from conversions.services.changes import conversion_update, conversion_void
from conversions.services.create import conversion_create, conversion_fingerprint, conversion_replay
from leadhub.api.exceptions import MalformedRequest
from leadhub.api.pagination import IdCursorPagination
from leadhub.api.schema import error_response
from leads.selectors import contact_list, lead_list
from workspaces.api.partner import PartnerAPIMixin

IDEMPOTENCY_HEADER = "Idempotency-Key"
REPLAYED_HEADER = "Idempotent-Replayed"


def idempotency_key(request):
    """The `Idempotency-Key` header: None when absent, 400 naming it when unusable."""
    key = request.headers.get(IDEMPOTENCY_HEADER)
    if key is None:
        return None
    key = key.strip()
    if not key or len(key) > 255 or not key.isascii() or not key.isprintable():
        raise MalformedRequest({IDEMPOTENCY_HEADER: ["1 to 255 printable ASCII characters."]})
    return key


class ConversionPagination(IdCursorPagination):
    ordering = ("-created_at", "-id")  # newest first; ids are UUIDs, whose order means nothing


IDEMPOTENCY_PARAMETER = OpenApiParameter(
    IDEMPOTENCY_HEADER,
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    description=(
        "Optional, up to 255 characters, per workspace. Resending the same key with the same body returns "
        "the original conversion with 200 and `Idempotent-Replayed: true` (nothing is recorded twice); "
        "the same key with a different body is refused with 409."
    ),
)


class ConversionViewSet(PartnerAPIMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Conversions the calling workspace recorded (all of them for staff), voided ones included."""

    serializer_class = ConversionSerializer
    filterset_class = ConversionFilterSet
    ordering_fields = ("id", "converted_at", "created_at", "updated_at")
    pagination_class = ConversionPagination
    lookup_value_regex = r"[0-9a-fA-F-]{36}"
    http_method_names = ["get", "post", "patch", "head", "options"]
    required_scopes = {
        "list": "conversions:read",
        "retrieve": "conversions:read",
        "create": "conversions:write",
        "partial_update": "conversions:write",
        "void": "conversions:write",
    }
    required_permissions = {
        "list": "conversions.view_conversion",
        "retrieve": "conversions.view_conversion",
        "create": "conversions.add_conversion",
        "partial_update": "conversions.change_conversion",
        "void": "conversions.change_conversion",
    }

    def get_queryset(self):
        return conversion_list(workspace=self.caller_workspace())

    @extend_schema(
        request=ConversionCreateSerializer,
        parameters=[IDEMPOTENCY_PARAMETER],
        responses={
            201: ConversionSerializer,
            200: OpenApiResponse(ConversionSerializer, description="Idempotency-Key replay: the original conversion."),
            404: error_response("The lead or contact is not visible to you (names the field)."),
            409: error_response("Idempotency-Key already used with a different body."),
            422: error_response("No exchange rate for `currency` on or before the `converted_at` day, or "
                                "`converted_at` before the lead was created or in the future."),
        },
        summary="Record a conversion",
        description=(
            "Give `lead_id` (a lead that reached you: assigned, routed, forwarded or sold) or `contact_id` (a contact "
            "you hold a lead of), or both. "
            "The conversion counts at once in the contact's lifetime value and your totals, in USD: "
            "another currency is valued at the rate in force on its `converted_at` day (UTC: the latest "
            "rate dated on or before it) from the rate table ops keep, and the reported amount stays in "
            "`original_value` / `original_currency`. "
            "A given lead moves to status `converted`. Staff name the workspace with `?workspace=<id>`."
        ),
    )
    def create(self, request):
        workspace = self.acting_workspace()
        body = ConversionCreateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        key = idempotency_key(request)
        reported = {
            "conversion_type": data["conversion_type"],
            "conversion_value": data["conversion_value"],
            "currency": data["currency"],
            "converted_at": data.get("converted_at"),
            "converted_by": data.get("converted_by", self.actor()),
            "custom_data": data.get("custom_data"),
        }
        if key:
            # Before the visibility checks: a replay answers as the first time, even if the lead
            # has moved on since.
            fingerprint = conversion_fingerprint(contact_id=data.get("contact_id"), lead_id=data.get("lead_id"), **reported)
            original = conversion_replay(workspace=workspace, key=key, fingerprint=fingerprint)
            if original is not None:
                return self._replayed(original)
        lead = contact = None
        if "lead_id" in data:
            lead = lead_list(workspace=workspace).filter(pk=data["lead_id"]).select_related("contact").first()
            if lead is None:
                raise exceptions.NotFound({"lead_id": [f"No lead {data['lead_id']} has reached you."]})
        if "contact_id" in data:
            contact = contact_list(workspace=workspace).filter(pk=data["contact_id"]).first()
            if contact is None:
                raise exceptions.NotFound({"contact_id": [f"No contact {data['contact_id']} with a lead assigned to you."]})
        result = conversion_create(
            workspace=workspace, contact=contact, lead=lead, created_by=self.actor(), idempotency_key=key,
            **reported,
        )
        if not result.created:
            return self._replayed(result.conversion)
        return Response(ConversionSerializer(result.conversion).data, status=status.HTTP_201_CREATED)

    def _replayed(self, conversion):
        return Response(ConversionSerializer(conversion).data, status=status.HTTP_200_OK, headers={REPLAYED_HEADER: "true"})

    @extend_schema(
        request=ConversionPatchSerializer,
        responses={200: ConversionSerializer, 409: error_response(
            "The conversion is voided, or you no longer hold its lead (`lead_not_held`: only ops can change it).")},
        summary="Correct a conversion's value, type or custom data",
        description=(
            "`conversion_value` is in the currency the conversion was reported in and is valued at the "
            "conversion's own exchange rate; your totals move by the difference. Each change is logged "
            "with its old and new value."
        ),
    )
    def partial_update(self, request, pk=None):
        conversion = self.get_object()
        body = ConversionPatchSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        conversion = conversion_update(conversion=conversion, workspace=self.caller_workspace(), by=self.actor(),
                                       **body.validated_data)
        return Response(ConversionSerializer(conversion).data)

    @extend_schema(
        request=ConversionVoidSerializer,
        responses={200: ConversionSerializer, 409: error_response(
            "Already voided, or you no longer hold its lead (`lead_not_held`: only ops can void it).")},
        summary="Void a conversion",
        description="Takes it out of every total. The row stays, marked void with your reason.",
    )
    @action(detail=True, methods=["post"], filterset_class=None, ordering_fields=None)
    def void(self, request, pk=None):
        conversion = self.get_object()
        body = ConversionVoidSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        conversion = conversion_void(conversion=conversion, workspace=self.caller_workspace(), by=self.actor(),
                                     reason=body.validated_data["reason"])
        return Response(ConversionSerializer(conversion).data)
