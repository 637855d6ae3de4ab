"""The provider webhook gate every provider endpoint (leads, appointments) runs a post through.

Order fixed by the endpoint contract: method and `Accept` (405/406), size and content type
(413/415), webhook (404), provider identity and permission (401/403), signature (401), rate
limits (429), body (400; query-string fields merged into it, or refused on a signed webhook),
then the endpoint's own handler, whose refusals (422/409) it raises as `Refusal`. A post refused before
the rate limits by a provider that proved who it is (its key, or its id alone when it has no
key) still counts against them, so a flood of refused posts ends in 429s too. Every refusal is
stored as a rejected submission under the endpoint's name, so ops can re-process it. A signed
post sent again inside the signature's window gets its first answer back (200), and nothing is
written a second time.

A webhook in test mode runs the same checks and the endpoint's body validation only, and says
so in its answer: a provider wiring up an integration stores nothing, and its refusals are not
queued for ops to re-process into real leads.
"""
import json

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.http import JsonResponse

from leadhub.api.exceptions import Refusal, refusal_response
from leadhub.errors import ServiceRefusal
from leadhub.middleware import client_ip
from providers.auth import PROVIDER_HEADER, provider_authenticate, signature_check, webhook_for_post
from providers.mapping import query_fields, query_fields_merge
from providers.models import RejectedSubmission
from providers.payloads import accept_check, body_too_large, content_type_check, method_check, parse_body, query_check
from providers.ratelimit import rate_limits_hit
from providers.services.rejected import rejected_submission_record
from providers.services.replay import signature_receipt_claim, signature_receipt_settle


def test_mode_body(endpoint: str) -> dict:
    """The answer to a valid post on a test-mode webhook (documented as WebhookTestModeSerializer)."""
    return {"outcome": "success", "test_mode": True,
            "reason": f"Test mode: this {endpoint} is valid and was not stored."}


def webhook_post(http, *, webhook_id: str, endpoint: str, handle, validate, refusal_fields=None):
    """Answer one provider post. `handle(webhook=, payload=, provider=, ip_address=, user_agent=)`
    returns the success response or raises Refusal; `validate(webhook=, payload=)` raises the
    same refusals for an invalid body and stands in for it in test mode. `http` is the Django
    HttpRequest. `refusal_fields` are added to every refusal body, so the endpoint's answers share
    one set of keys."""
    content_type = http.META.get("CONTENT_TYPE", "")
    body, body_size, limits, webhook, provider, receipt = b"", 0, None, None, None, None
    counted = False  # against the rate limits
    try:
        try:
            method_check(http.method)
            accept_check(http.headers.get("Accept", ""))
            body_size = _declared_length(http)
            if body_size > settings.WEBHOOK_MAX_BODY_BYTES:
                body = http.read(RejectedSubmission.BODY_LIMIT)  # a sample for ops; the rest is never read
                raise body_too_large(body_size)
            try:
                body = http.body
            except RequestDataTooBig:  # no or understated Content-Length; Django measured the real body
                raise body_too_large(None) from None
            body_size = len(body)
            content_type_check(content_type)
        except Refusal:
            webhook, provider = _sender(http, webhook_id)
            raise
        webhook = webhook_for_post(webhook_id=webhook_id)
        provider = provider_authenticate(headers=http.headers, webhook=webhook)
        digest = signature_check(headers=http.headers, webhook=webhook, body=body)
        if digest is not None:
            try:
                original = signature_receipt_claim(digest=digest, webhook_id=webhook_id)
            except ServiceRefusal as exc:
                raise Refusal.from_service(exc) from None
            if original is not None:
                return JsonResponse(original, status=200)  # a replay: the first answer, nothing written
            receipt = digest
        counted = True
        limits = rate_limits_hit(webhook=webhook, provider=provider)
        payload = parse_body(body, content_type)
        if query := query_fields(http.GET):
            query_check(query, signed=bool(webhook.secret_key))
            payload = query_fields_merge(payload, query)
        if webhook.test_mode:
            validate(webhook=webhook, payload=payload)
            response = JsonResponse(test_mode_body(endpoint), status=200)
        else:
            response = handle(
                webhook=webhook,
                payload=payload,
                provider=provider,
                ip_address=client_ip(http),
                user_agent=http.headers.get("User-Agent", ""),
            )
        if receipt is not None:
            signature_receipt_settle(digest=receipt, response=json.loads(response.content))
            receipt = None
    except Refusal as caught:
        refusal = caught
        if provider is not None and not counted:
            # A proven sender's refused posts spend its limits as accepted ones do: a flood of
            # them ends in 429s. One that proved nothing is not counted, or anyone could spend a
            # provider's limits by naming it.
            try:
                limits = rate_limits_hit(webhook=webhook, provider=provider)
            except Refusal as flooded:
                refusal = flooded
        if webhook is None or not webhook.test_mode:
            rejected_submission_record(
                webhook_id=webhook_id,
                provider_id=provider.provider_id if provider is not None else http.headers.get(PROVIDER_HEADER, ""),
                reason_code=refusal.stored_code,
                reason=refusal.stored_reason,
                http_status=refusal.status,
                errors=refusal.errors,
                body=body,
                body_size=body_size,
                content_type=content_type,
                query_string=http.META.get("QUERY_STRING", ""),
                ip_address=client_ip(http),
                user_agent=http.headers.get("User-Agent", ""),
                request_id=http.request_id,
                endpoint=endpoint,
                authenticated=provider is not None,
                before_limits=not counted,
            )
        response = refusal_response(refusal, request_id=http.request_id, **(refusal_fields or {}))
    finally:
        if receipt is not None:  # refused or failed after the claim: a replay is judged again
            signature_receipt_settle(digest=receipt, response=None)
    if limits is not None:
        for name, value in limits.headers().items():
            response.setdefault(name, value)
    return response


def _sender(http, webhook_id):
    """For a post refused before its webhook and provider were checked (size, content type): the
    open webhook it was sent to, and its provider if the id and key would have been accepted
    (None for either that is not). A refused body is judged by who sent it all the same: how much
    of it is kept, and whether it counts against the provider's limits."""
    try:
        webhook = webhook_for_post(webhook_id=webhook_id)
    except Refusal:
        return None, None
    try:
        return webhook, provider_authenticate(headers=http.headers, webhook=webhook)
    except Refusal:
        return webhook, None


def _declared_length(http):
    try:
        return max(int(http.META.get("CONTENT_LENGTH") or 0), 0)
    except ValueError:
        return 0


class WebhookEndpoint:
    """A DRF view mixin for a provider webhook endpoint (`endpoint`, `refusal_fields` as
    `webhook_post` takes them): a request of another method, or one whose `Accept` leadhub cannot
    answer, goes through the gate too, so it is answered with the endpoint's error body and kept
    as a rejected submission like every other refusal."""

    endpoint = ""
    refusal_fields: dict = {}

    def perform_content_negotiation(self, request, force=False):
        return super().perform_content_negotiation(request, force=True)  # the gate answers a bad Accept

    def http_method_not_allowed(self, request, *args, **kwargs):
        return webhook_post(request._request, webhook_id=kwargs["webhook_id"], endpoint=self.endpoint,
                            handle=None, validate=None, refusal_fields=self.refusal_fields)
