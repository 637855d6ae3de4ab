"""The provider lead webhook: a thin HTTP adapter around lead ingest."""
from django.http import JsonResponse
from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiParameter,
    OpenApiResponse,
    PolymorphicProxySerializer,
    extend_schema,
)
from rest_framework.views import APIView

from leadhub.api.exceptions import Refusal, failure_body
from leadhub.api.schema import WebhookTestModeSerializer, webhook_error_response
from leads.api.serializers import webhook as serializers
from leads.services.ingest import IngestDuplicate, IngestError, lead_ingest, lead_validate
from providers.auth import API_KEY_HEADER, PROVIDER_HEADER
from providers.gate import WebhookEndpoint, webhook_post
from providers.payloads import DOCUMENTED_MEDIA_TYPES
from providers.signatures import SIGNATURE_HEADER


# A refused post stored no lead: the answer still carries every key a success has.
NO_LEAD = {"lead_id": None, "external_id": None, "contact_status": None, "disposition": None}


def _failure(status, description, code, reason, errors=None, **fields):
    example = failure_body(code=code, reason=reason, request_id="3f2c1d0e9b8a47c6a5d4e3f2a1b0c9d8",
                           status_code=status, errors=errors, **{**NO_LEAD, **fields})
    return webhook_error_response(
        description, examples=[OpenApiExample(code, value=example, status_codes=[str(status)], response_only=True)]
    )


_SUCCESS_EXAMPLE = {
    "outcome": "success", "reason": None, "lead_id": 120045, "external_id": "A-777001", "contact_id": 88012,
    "contact_status": "new",
    "disposition": {"held_for_consent": False, "held_reason": None, "holds": [], "ignored_fields": [],
                    "dropped_fields": [{"field": "ip_address", "reason": "'1.2.3' is not an IPv4 or IPv6 address."}],
                    "invalid_evidence": [], "unknown_fields": [{"field": "zip_cod", "did_you_mean": "zip_code"}],
                    "cleaned_fields": [], "duplicate_of": None, "sold": True, "price": "12.50"},
}
_HELD_REASON = ("Held for consent: tcpa_compliance not true. The lead is stored but not assigned or forwarded "
                "until consent is confirmed.")
_HELD_EXAMPLE = {
    **_SUCCESS_EXAMPLE, "reason": _HELD_REASON,
    "disposition": {"held_for_consent": True, "held_reason": _HELD_REASON,
                    "holds": [{"reason": "consent", "message": _HELD_REASON}], "ignored_fields": [], "dropped_fields": [],
                    "invalid_evidence": [], "unknown_fields": [], "cleaned_fields": [], "duplicate_of": None,
                    "sold": False, "price": "0.00"},
}
_DUPLICATE_REASON = "Duplicate of an earlier lead: same phone within 30 days (duplicate rule #3)."
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
    "ip_address": "203.0.113.7",
    "user_agent": "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X)",
    "xxTrustedFormCertUrl": "https://cert.trustedform.com/2b4c6d8e0f1a3b5c7d9e1f3a5b7c9d1e3f5a7b9c",
    "universal_leadid": "1A2B3C4D-5E6F-7A8B-9C0D-1E2F3A4B5C6D",
}

# Answers to a post whose provider was accepted, so it was counted against the limits (a 401 here
# is a signature refusal).
RATE_LIMITED_ANSWERS = [200, 201, 400, 401, 406, 409, 413, 415, 422, 429]

WEBHOOK_SCHEMA = extend_schema(
    operation_id="lead_webhook_post",
    summary="Post a lead to a provider webhook",
    description=(
        "Providers post one lead per request as JSON, `application/x-www-form-urlencoded` or "
        "`multipart/form-data` (at most 1 MB). Field names and their accepted aliases are listed in "
        "the request schema; unknown extra fields are kept in the lead's raw payload and listed in "
        "`disposition.unknown_fields` (a `strict` webhook refuses them, 422 naming each). A webhook may map your own "
        "field names and values to ours (see the provider quick start). On a webhook without a signing secret, "
        "query-string fields are read as the body's (the body wins where both name a field); a signed webhook "
        "refuses them (400 `query_fields_not_signed`).\n\n"
        "Checks run in this order: content type and size (415/413), webhook (404), provider "
        "identity and permission (401/403), signature when the webhook has a secret (401), rate "
        "limits (429), body (400), lead validation (422) and reference conflicts (409).\n\n"
        "**Rate limits**: the webhook's limit applies to each provider on its own, beside your provider's hourly "
        "limit. Once your key (or, without a key, your id) is accepted, refused posts count against both as "
        "accepted ones do: past a limit, a post that would be refused for its signature, size or content type is "
        "answered 429 too.\n\n"
        "**Signature**: `X-Leadhub-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, \"<t>.<raw body>\")>`; "
        "timestamps more than 5 minutes away from our clock are refused.\n\n"
        "**Idempotency**: your own reference for a lead (`external_id`, or `id`, `lead_id`, `reference`) "
        "is kept as `external_id`; re-posting it with the same values returns 200 with the original ids "
        "and creates nothing, with other values 409 naming the fields. We number leads ourselves "
        "(`lead_id`).\n\n"
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
        OpenApiParameter("X-RateLimit-Limit", int, OpenApiParameter.HEADER, response=RATE_LIMITED_ANSWERS,
                         description="The tighter of the webhook's limit (for your provider alone) and your "
                                     "provider's hourly limit."),
        OpenApiParameter("X-RateLimit-Remaining", int, OpenApiParameter.HEADER, response=RATE_LIMITED_ANSWERS,
                         description="Requests left in that limit's current window."),
        OpenApiParameter("Retry-After", int, OpenApiParameter.HEADER, response=[429],
                         description="Seconds until the exceeded window resets."),
    ],
    request={media: serializers.LeadWebhookRequestSerializer for media in DOCUMENTED_MEDIA_TYPES},
    examples=[OpenApiExample("solar lead", value=_REQUEST_EXAMPLE, request_only=True)],
    responses={
        201: OpenApiResponse(
            serializers.LeadWebhookSuccessSerializer,
            description="Lead created.",
            examples=[
                OpenApiExample("created", value=_SUCCESS_EXAMPLE, status_codes=["201"], response_only=True),
                OpenApiExample("held for consent", value=_HELD_EXAMPLE, status_codes=["201"], response_only=True),
            ],
        ),
        200: OpenApiResponse(
            PolymorphicProxySerializer(
                component_name="LeadWebhookUnchanged",
                serializers=[serializers.LeadWebhookSuccessSerializer, WebhookTestModeSerializer],
                resource_type_field_name=None,
            ),
            description="Replay of an earlier post with the same reference and values: nothing created, original ids. "
                        "Or, on a webhook in test mode, a valid lead: nothing stored (`test_mode: true`).",
            examples=[
                OpenApiExample("replay", value={**_SUCCESS_EXAMPLE, "contact_status": "existing"},
                               status_codes=["200"], response_only=True),
                OpenApiExample("test mode", value={"outcome": "success", "test_mode": True,
                                                   "reason": "Test mode: this lead is valid and was not stored."},
                               status_codes=["200"], response_only=True),
            ],
        ),
        400: _failure(400, "Malformed body.", "malformed_json",
                      "Body is not valid JSON: Expecting value: line 1 column 1 (char 0)."),
        401: _failure(401, "Provider or signature refused (code says which: provider_id_missing, "
                           "provider_auth_failed, signature_missing, signature_malformed, signature_invalid, "
                           "signature_expired, signature_in_future).",
                      "signature_expired", "Signature timestamp is 912 s old; at most 300 s is accepted."),
        403: _failure(403, "Provider may not post to this webhook.", "webhook_not_allowed",
                      "Provider 'acme' may not post to webhook 'solar-ca'."),
        404: _failure(404, "Unknown, inactive or deleted webhook.", "webhook_not_found",
                      "No active webhook 'solar-ca'."),
        409: webhook_error_response(
            "Reference already received with other values (`conflict`), or a duplicate rule with action `reject` "
            "matched an earlier lead (`duplicate`: `disposition.duplicate_of` says which rule, on which field, "
            "within which window; the post is kept as a rejected submission).",
            examples=[
                OpenApiExample("conflict", value=failure_body(
                    code="conflict", request_id="3f2c1d0e9b8a47c6a5d4e3f2a1b0c9d8", status_code=409,
                    reason="Reference 'A-777001' was already received with other values (lead 120045): first_name.",
                    errors={"first_name": ["Differs from the lead already received with reference 'A-777001'."]},
                    **{**NO_LEAD, "lead_id": 120045}), status_codes=["409"], response_only=True),
                OpenApiExample("duplicate", value=failure_body(
                    code="duplicate", request_id="3f2c1d0e9b8a47c6a5d4e3f2a1b0c9d8", status_code=409,
                    reason=_DUPLICATE_REASON, errors={"phone": [_DUPLICATE_REASON]},
                    **{**NO_LEAD, "disposition": {"duplicate_of": {
                        "rule": 3, "field": "phone", "window": 2592000, "action": "reject", "lead_id": 120045}}}),
                    status_codes=["409"], response_only=True),
            ],
        ),
        406: _failure(406, "Your `Accept` header rules out JSON, the only answer we give (the post is kept as a "
                           "rejected submission; another method is answered 405 `method_not_allowed` the same way).",
                      "not_acceptable", "Accept 'application/xml' rules out the answer, which is always application/json."),
        413: _failure(413, "Body over 1 MB.", "body_too_large",
                      "Body is 2097152 bytes; at most 1048576 bytes are accepted."),
        415: _failure(415, "Unsupported Content-Type.", "unsupported_media_type",
                      "Content-Type 'text/plain' is not accepted; send application/json, "
                      "application/x-www-form-urlencoded, multipart/form-data."),
        422: _failure(422, "Lead failed validation; `errors` lists messages per field. On a webhook that requires "
                           "consent evidence, a post without a TrustedForm certificate or Jornaya LeadiD token is "
                           "refused with code `consent_evidence_missing`, and a malformed one (or a malformed "
                           "consumer `ip_address`) with `validation` naming the field.", "validation",
                      "Invalid lead data: email, phone.",
                      errors={"email": ["'ada@' is not a valid email address."],
                              "phone": ["'(555) 555-0100' is not a valid US/NANP phone number."]}),
        429: _failure(429, "Webhook or provider rate limit exceeded; see Retry-After.", "webhook_rate_limited",
                      "Webhook 'solar-ca' allows provider 'acme' 100 requests per 60 s. This post was not stored: "
                      "send it again in 23 s."),
    },
)


class LeadWebhookView(WebhookEndpoint, APIView):
    """`POST /api/v1/webhooks/<webhook_id>/leads/`: providers deliver leads here.

    providers.gate reads the body raw (the signature covers the exact bytes), runs the shared
    checks, parses it as re-processing does, and stores every refusal as a rejected submission.
    """

    authentication_classes = []
    permission_classes = []
    endpoint = "lead"
    refusal_fields = NO_LEAD

    @WEBHOOK_SCHEMA
    def post(self, request, webhook_id):
        return webhook_post(request._request, webhook_id=webhook_id, endpoint=self.endpoint, handle=_ingest,
                            validate=_validate, refusal_fields=self.refusal_fields)


def _validate(*, webhook, payload):
    try:
        lead_validate(webhook=webhook, payload=payload)
    except IngestError as exc:
        raise Refusal.from_service(exc) from None


def _ingest(**post):
    try:
        result = lead_ingest(**post)
    except IngestDuplicate as exc:
        refusal = Refusal.from_service(exc)
        refusal.stored_reason = exc.ops_reason  # ops see the earlier lead in the rejected submission
        raise refusal from None
    except IngestError as exc:
        raise Refusal.from_service(exc) from None
    return JsonResponse(serializers.ingest_result_body(result), status=201 if result.created else 200)
