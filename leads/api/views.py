"""Lead API views: thin HTTP adapters around leads.services."""
from django.http import JsonResponse
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework.views import APIView

from leadhub.api.exceptions import Refusal
from leads.api import serializers
from leads.services import IngestConflict, IngestError, lead_ingest
from providers.auth import API_KEY_HEADER, PROVIDER_HEADER
from providers.gate import webhook_post
from providers.payloads import ACCEPTED_MEDIA_TYPES
from providers.signatures import SIGNATURE_HEADER


def _failure(status, description, code, reason, errors=None):
    example = {"outcome": "failure", "reason": reason, "code": code}
    if errors:
        example["errors"] = errors
    example["request_id"] = "3f2c1d0e9b8a47c6a5d4e3f2a1b0c9d8"
    return OpenApiResponse(
        serializers.WebhookFailureSerializer,
        description=description,
        examples=[OpenApiExample(code, value=example, status_codes=[str(status)], response_only=True)],
    )


_SUCCESS_EXAMPLE = {"outcome": "success", "lead_id": 120045, "contact_id": 88012, "contact_status": "new",
                    "disposition": {"ignored_fields": []}}
_REQUEST_EXAMPLE = {
    "first_name": "Ada",
    "last_name": "Lovelace",
    "email": "ada@example.com",
    "phone": "(415) 555-0132",
    "address": "1 Market St",
    "city": "San Francisco",
    "state": "CA",
    "zip_code": "94105",
    "monthly_electric_bill": 180,
    "roof_age": 12,
    "consent": {"description": "I agree to be contacted about solar offers.", "value": True},
    "tcpa_compliance": True,
}

WEBHOOK_SCHEMA = extend_schema(
    operation_id="lead_webhook_post",
    summary="Post a lead to a provider webhook",
    description=(
        "Providers post one lead per request as JSON, `application/x-www-form-urlencoded` or "
        "`multipart/form-data` (at most 1 MB). Field names and their accepted aliases are listed in "
        "the request schema; unknown extra fields are kept in the lead's raw payload.\n\n"
        "Checks run in this order: content type and size (415/413), webhook (404), provider "
        "identity and permission (401/403), signature when the webhook has a secret (401), rate "
        "limits (429), body (400), lead validation (422) and custom-id conflicts (409).\n\n"
        "**Signature**: `X-Leadhub-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, \"<t>.<raw body>\")>`; "
        "timestamps more than 5 minutes away from our clock are refused.\n\n"
        "**Idempotency**: re-posting the same `id`/`lead_id` with the same payload returns 200 "
        "with the original ids and creates nothing.\n\n"
        "Every refused request is kept and can be re-processed by ops; every response has an "
        "`X-Request-ID` (quote it when asking us about a request)."
    ),
    tags=["webhooks"],
    auth=[],
    parameters=[
        OpenApiParameter(PROVIDER_HEADER, str, OpenApiParameter.HEADER, required=True,
                         description="Your provider id."),
        OpenApiParameter(API_KEY_HEADER, str, OpenApiParameter.HEADER,
                         description="Your API key (`lhp_...`); required once a key was issued to you."),
        OpenApiParameter(SIGNATURE_HEADER, str, OpenApiParameter.HEADER,
                         description="Required when the webhook has a signing secret: `t=<unix seconds>,v1=<hex>`."),
        OpenApiParameter("X-Request-ID", str, OpenApiParameter.HEADER,
                         description="Optional id for tracing (letters, digits, `._:-`, at most 128); echoed back, "
                                     "or generated."),
        OpenApiParameter("X-Request-ID", str, OpenApiParameter.HEADER, response=True,
                         description="The request's id, also in every error body."),
        OpenApiParameter("X-RateLimit-Limit", int, OpenApiParameter.HEADER, response=[200, 201, 409, 422, 429],
                         description="The tighter of the webhook's and the provider's limits."),
        OpenApiParameter("X-RateLimit-Remaining", int, OpenApiParameter.HEADER, response=[200, 201, 409, 422, 429],
                         description="Requests left in that limit's current window."),
        OpenApiParameter("Retry-After", int, OpenApiParameter.HEADER, response=[429],
                         description="Seconds until the exceeded window resets."),
    ],
    request={media: serializers.LeadWebhookRequestSerializer for media in ACCEPTED_MEDIA_TYPES},
    examples=[OpenApiExample("solar lead", value=_REQUEST_EXAMPLE, request_only=True)],
    responses={
        201: OpenApiResponse(
            serializers.LeadWebhookSuccessSerializer,
            description="Lead created.",
            examples=[OpenApiExample("created", value=_SUCCESS_EXAMPLE, status_codes=["201"], response_only=True)],
        ),
        200: OpenApiResponse(
            serializers.LeadWebhookSuccessSerializer,
            description="Replay of an earlier post with the same id and payload: nothing created, original ids.",
            examples=[OpenApiExample(
                "replay", value={**_SUCCESS_EXAMPLE, "contact_status": "existing"}, status_codes=["200"],
                response_only=True,
            )],
        ),
        400: _failure(400, "Malformed body.", "malformed_json",
                      "Body is not valid JSON: Expecting value: line 1 column 1 (char 0)."),
        401: _failure(401, "Provider or signature refused (code says which: provider_id_missing, api_key_missing, "
                           "provider_auth_failed, signature_missing, signature_malformed, signature_invalid, "
                           "signature_expired, signature_in_future).",
                      "signature_expired", "Signature timestamp is 912 s old; at most 300 s is accepted."),
        403: _failure(403, "Provider may not post to this webhook.", "webhook_not_allowed",
                      "Provider 'acme' may not post to webhook 'solar-ca'."),
        404: _failure(404, "Unknown, inactive or deleted webhook.", "webhook_not_found",
                      "No active webhook 'solar-ca'."),
        409: _failure(409, "Custom id already used with another payload or webhook.", "conflict",
                      "Lead id 120045 already exists with a different payload."),
        413: _failure(413, "Body over 1 MB.", "body_too_large",
                      "Body is 2097152 bytes; at most 1048576 bytes are accepted."),
        415: _failure(415, "Unsupported Content-Type.", "unsupported_media_type",
                      "Content-Type 'text/plain' is not accepted; send application/json, "
                      "application/x-www-form-urlencoded, multipart/form-data."),
        422: _failure(422, "Lead failed validation; `errors` lists messages per field.", "validation",
                      "Invalid lead data: email, phone.",
                      errors={"email": ["'ada@' is not a valid email address."],
                              "phone": ["'(555) 555-0100' is not a valid US/NANP phone number."]}),
        429: _failure(429, "Webhook or provider rate limit exceeded; see Retry-After.", "webhook_rate_limited",
                      "Webhook 'solar-ca' allows 100 requests per 60 s; retry in 23 s."),
    },
)


class LeadWebhookView(APIView):
    """`POST /api/v1/webhooks/<webhook_id>/leads/`: providers deliver leads here.

    providers.gate reads the body raw (the signature covers the exact bytes), runs the shared
    checks, parses it as re-processing does, and stores every refusal as a rejected submission.
    """

    authentication_classes = []
    permission_classes = []

    @WEBHOOK_SCHEMA
    def post(self, request, webhook_id):
        return webhook_post(request._request, webhook_id=webhook_id, endpoint="lead", handle=_ingest)


def _ingest(**post):
    try:
        result = lead_ingest(**post)
    except IngestError as exc:
        status = 409 if isinstance(exc, IngestConflict) else 422
        raise Refusal(status, exc.code, exc.reason, errors=exc.errors if status == 422 else None) from None
    return JsonResponse(
        {
            "outcome": "success",
            "lead_id": result.lead.pk,
            "contact_id": result.contact.pk,
            "contact_status": result.contact_status,
            "disposition": {"ignored_fields": list(result.ignored_fields)},
        },
        status=201 if result.created else 200,
    )



# ---- Partner API (issue 4): workspaces read, refer and work their leads ------------------------
from django.core.exceptions import ValidationError as _DjangoValidationError  # noqa: E402
from django.http import QueryDict as _QueryDict  # noqa: E402
from drf_spectacular.utils import extend_schema as _extend_schema  # noqa: E402
from rest_framework import mixins as _mixins  # noqa: E402
from rest_framework import status as _status  # noqa: E402
from rest_framework import viewsets as _viewsets  # noqa: E402
from rest_framework.decorators import action as _action  # noqa: E402
from rest_framework.exceptions import ValidationError as _DRFValidationError  # noqa: E402
from rest_framework.response import Response as _Response  # noqa: E402

from leadhub.api.exceptions import failure_body as _failure_body  # noqa: E402
from leadhub.api.views import PartnerAPIMixin  # noqa: E402
from leadhub.middleware import client_ip as _client_ip  # noqa: E402
from leads.api import serializers as _serializers  # noqa: E402
from leads.filters import LeadFilterSet  # noqa: E402
from leads.selectors import lead_activity_list, lead_list, lead_timeline  # noqa: E402
from leads.services import IngestConflict as _IngestConflict  # noqa: E402
from leads.services import IngestError as _IngestError  # noqa: E402
from leads.services import LeadStatusInvalid, lead_activity_add, lead_patch, lead_refer  # noqa: E402


class PartnerLeadViewSet(PartnerAPIMixin, _mixins.ListModelMixin, _mixins.RetrieveModelMixin, _viewsets.GenericViewSet):
    """Leads assigned to the calling workspace (all leads for staff).

    `?search=` matches a phone in any format, an email or a name. Invalid status → 422 with the
    allowed values.
    """

    serializer_class = _serializers.PartnerLeadSerializer
    filterset_class = LeadFilterSet
    lookup_value_regex = r"\d+"
    http_method_names = ["get", "post", "patch", "head", "options"]
    required_scopes = {
        "list": "leads:read",
        "retrieve": "leads:read",
        "timeline": "leads:read",
        "activities:GET": "leads:read",
        "activities:POST": "leads:write",
        "create": "leads:write",
        "partial_update": "leads:write",
    }

    def get_queryset(self):
        return lead_list(workspace=self.caller_workspace())

    @_extend_schema(
        request=dict,
        responses={
            201: _serializers.ReferralResultSerializer,
            200: _serializers.ReferralResultSerializer,
            409: _serializers.WebhookFailureSerializer,
            422: _serializers.WebhookFailureSerializer,
        },
        summary="Refer a lead (send one in)",
        description=(
            "Same body, validation and dedup as the provider webhook; lands on this workspace's own "
            "inbound webhook for the lead's `lead_type` (required). The sender does not see the lead "
            "afterwards unless it is assigned to it. 422 lists field errors, 409 a conflicting id."
        ),
    )
    def create(self, request):
        workspace = self.acting_workspace()
        payload = request.data.dict() if isinstance(request.data, _QueryDict) else request.data
        if not isinstance(payload, dict):
            raise _DRFValidationError({"non_field_errors": ["Send one lead as a JSON object."]})
        try:
            result = lead_refer(
                workspace=workspace,
                payload=payload,
                ip_address=_client_ip(request),
                user_agent=request.META.get("HTTP_USER_AGENT", "")[:512],
            )
        except _IngestError as exc:
            status_code = 409 if isinstance(exc, _IngestConflict) else 422
            body = _failure_body(code=exc.code, reason=exc.reason, request_id=request.request_id, errors=exc.errors)
            return _Response(body, status=status_code)
        body = {
            "outcome": "success",
            "lead_id": result.lead.pk,
            "contact_id": result.contact.pk,
            "contact_status": result.contact_status,
        }
        return _Response(body, status=_status.HTTP_201_CREATED if result.created else _status.HTTP_200_OK)

    @_extend_schema(
        request=_serializers.PartnerLeadPatchSerializer,
        responses={
            200: _serializers.PartnerLeadSerializer,
            422: OpenApiResponse(
                {"type": "object", "additionalProperties": {}},
                description="Status not allowed: messages per field and `allowed`, the statuses it may take.",
            ),
        },
    )
    def partial_update(self, request, pk=None):
        lead = self.get_object()
        patch = _serializers.PartnerLeadPatchSerializer(data=request.data)
        patch.is_valid(raise_exception=True)
        data = dict(patch.validated_data)
        changed_by = data.pop("changed_by", None) or self.changed_by()
        try:
            lead = lead_patch(lead=lead, changed_by=changed_by, workspace=self.caller_workspace(), **data)
        except LeadStatusInvalid as exc:
            return _Response(
                {**exc.message_dict, "allowed": exc.allowed}, status=_status.HTTP_422_UNPROCESSABLE_ENTITY
            )
        except _DjangoValidationError as exc:
            raise _DRFValidationError(exc.message_dict)
        return _Response(self.get_serializer(lead).data)

    @_extend_schema(responses=_serializers.TimelineSerializer)
    @_action(detail=True, methods=["get"])
    def timeline(self, request, pk=None):
        """Events, status history, activities, appointments and conversions, oldest first."""
        lead = self.get_object()
        items = lead_timeline(lead=lead, workspace=self.caller_workspace())
        return _Response(_serializers.TimelineSerializer({"lead_id": lead.pk, "items": items}).data)

    @_extend_schema(
        methods=["GET"], responses=_serializers.PartnerActivitySerializer(many=True), filters=False
    )
    @_extend_schema(
        methods=["POST"], request=_serializers.PartnerActivitySerializer, responses={201: _serializers.PartnerActivitySerializer}
    )
    @_action(detail=True, methods=["get", "post"], filterset_class=None)
    def activities(self, request, pk=None):
        """Calls, emails, meetings and notes on the lead; a call adds one contact attempt."""
        lead = self.get_object()
        workspace = self.caller_workspace()
        if request.method == "GET":
            page = self.paginate_queryset(lead_activity_list(lead=lead, workspace=workspace).order_by("-id"))
            return self.get_paginated_response(_serializers.PartnerActivitySerializer(page, many=True).data)
        serializer = _serializers.PartnerActivitySerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        activity = lead_activity_add(
            lead=lead, created_by=self.changed_by(), workspace=workspace, **serializer.validated_data
        )
        return _Response(_serializers.PartnerActivitySerializer(activity).data, status=_status.HTTP_201_CREATED)
