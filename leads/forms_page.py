"""A webhook's embeddable first-party form: `GET /forms/<webhook_id>/` serves it, `POST
/api/v1/forms/<webhook_id>/submit/` takes it (leads.services.forms.lead_form_submit: the lead
ingest every lead goes through).

No provider key guards the post, so the form guards it: only the origins ops allowed (and the
form's own page) may post it, and browsers are told so (CORS answers only those origins); one
address may post it FORM_RATE_LIMIT times a window (providers.ratelimit.form_rate_limit_hit); a
filled honeypot field gets a success-looking answer and no lead. Every refusal is kept as a
rejected submission (unproven sender: merged per client a minute), as at the webhook.

A browser's plain form post (Accept: text/html) is answered with a page (the form again, with what
is wrong, as Django's forms answer: 200, since under /api/ every error status is a JSON body); a
script's with JSON.
"""
from django.core.exceptions import RequestDataTooBig
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET

from leadhub.api.exceptions import Refusal, refusal_response, service_refusal_status
from leadhub.errors import ServiceRefusal
from leadhub.middleware import client_ip, ip_bucket
from leads.services.forms import (
    CONSENT_FIELD, HONEYPOT_FIELD, form_appointment_token, form_fields, lead_form_submit,
)
from providers.models import origin_normalize
from providers.payloads import body_too_large, parse_body
from providers.ratelimit import form_rate_limit_hit
from providers.selectors import webhook_get, webhook_is_open
from providers.services.rejected import rejected_submission_record

TRUSTEDFORM_SCRIPT = "https://api.trustedform.com/trustedform.js?field=xxTrustedFormCertUrl&l="
JORNAYA_SCRIPT = "https://create.lidstatic.com/campaign/"
THANKS = "Thank you: we received your request."


def form_webhook(webhook_id):
    """The webhook whose form is published, or 404 (unknown, closed or without a form)."""
    webhook = webhook_get(webhook_id=webhook_id)
    if not webhook_is_open(webhook) or not webhook.form_enabled:
        raise Http404("No form here.")
    return webhook


def own_origin(request) -> str:
    return origin_normalize(request.build_absolute_uri("/"))


def origin_allowed(request, webhook) -> str | None:
    """The request's Origin when it may post this form (the form's own page, or an allowed site), else None."""
    origin = origin_normalize(request.headers.get("Origin", ""))
    return origin if origin and (origin == own_origin(request) or origin in webhook.form_origins) else None


def form_preflight(request, webhook) -> tuple[str | None, HttpResponse | None]:
    """The allowed origin of a post to the form (or its appointment step), and the whole answer
    when the request is no post: a CORS preflight (allowed origins only), or 405."""
    origin = origin_allowed(request, webhook)
    if request.method == "OPTIONS":
        return origin, cors_allow(HttpResponse(status=204), origin, preflight=True) if origin else HttpResponse(status=403)
    if request.method != "POST":
        return origin, HttpResponse(status=405, headers={"Allow": "POST, OPTIONS"})
    return origin, None


def form_body(request) -> bytes:
    """The posted body, or the Refusal of one over the size limit."""
    try:
        return request.body
    except RequestDataTooBig:
        raise body_too_large(None) from None


def form_post_guard(request, webhook, origin) -> None:
    """Refuse a post from an origin the form does not allow, then count it against the address's limit."""
    if origin is None:
        raise Refusal(403, "origin_not_allowed", "This form may not be posted from this site.",
                      stored_reason=f"Origin '{request.headers.get('Origin', '')}' is not allowed for the form of "
                                    f"webhook '{webhook.webhook_id}'.")
    form_rate_limit_hit(webhook=webhook, client=ip_bucket(client_ip(request)))


def _page_context(request, webhook, *, values=None, errors=None):
    return {
        "webhook": webhook,
        "fields": [{**field, "value": str((values or {}).get(field["name"], ""))} for field in form_fields(webhook=webhook)],
        "errors": errors or {},
        "consent_field": CONSENT_FIELD,
        "honeypot_field": HONEYPOT_FIELD,
        "submit_url": f"/api/v1/forms/{webhook.webhook_id}/submit/",
        "trustedform_script": TRUSTEDFORM_SCRIPT if webhook.form_trustedform else "",
        "jornaya_script": JORNAYA_SCRIPT if webhook.form_jornaya else "",
    }


@require_GET
def form_page(request, webhook_id):
    webhook = form_webhook(webhook_id)
    response = render(request, "leads/form.html", _page_context(request, webhook))
    # Embeddable: landing pages may frame it (the middleware's DENY is for the admin and the API).
    response.xframe_options_exempt = True
    return response


@csrf_exempt
def form_submit(request, webhook_id):
    webhook = form_webhook(webhook_id)
    origin, answer = form_preflight(request, webhook)
    if answer is not None:
        return answer
    content_type, body = request.META.get("CONTENT_TYPE", ""), b""
    try:
        body = form_body(request)
        form_post_guard(request, webhook, origin)
        posted = parse_body(body, content_type)
        if str(posted.get(HONEYPOT_FIELD) or "").strip():
            form_refusal_keep(request, webhook, Refusal(200, "honeypot", THANKS, stored_reason="The hidden honeypot field was "
                                            "filled: a bot. Answered as accepted; nothing stored."), body, content_type)
            return _answer(request, webhook, origin, result=None)
        try:
            result = lead_form_submit(webhook=webhook, posted=posted, ip_address=client_ip(request),
                                      user_agent=request.headers.get("User-Agent", ""),
                                      referer=request.headers.get("Referer", ""))
        except ServiceRefusal as exc:  # without its fields: no lead ids to the public
            raise Refusal(service_refusal_status(exc), exc.code, exc.reason, errors=exc.errors) from None
    except Refusal as refusal:
        form_refusal_keep(request, webhook, refusal, body, content_type)
        if wants_html(request) and refusal.errors and refusal.status in (409, 422):
            posted_values = {key: value for key, value in posted_or_nothing(body, content_type).items() if key != HONEYPOT_FIELD}
            response = render(request, "leads/form.html", _page_context(request, webhook, values=posted_values,
                                                                        errors=refusal.errors))
        else:
            response = refusal_response(refusal, request_id=request.request_id)
        return cors_allow(response, origin) if origin else response
    return _answer(request, webhook, origin, result=result)


def _answer(request, webhook, origin, *, result):
    """The same answer whether a lead was stored or a bot was turned away."""
    lead = result.lead if result else None
    token = form_appointment_token(webhook=webhook, lead=lead) if webhook.form_appointments else None
    if wants_html(request):
        response = render(request, "leads/form_thanks.html", {
            "webhook": webhook, "thanks": THANKS, "appointment_token": token,
            "appointment_url": f"/api/v1/forms/{webhook.webhook_id}/appointment/"}, status=201)
    else:
        body = {"outcome": "success", "reason": THANKS}
        if webhook.form_appointments:
            body["appointment_token"] = token
        response = JsonResponse(body, status=201)
    return cors_allow(response, origin)


def cors_allow(response, origin, *, preflight=False):
    response["Access-Control-Allow-Origin"] = origin
    response["Vary"] = "Origin"
    if preflight:
        response["Access-Control-Allow-Methods"] = "POST, OPTIONS"
        response["Access-Control-Allow-Headers"] = "Content-Type"
        response["Access-Control-Max-Age"] = "600"
    return response


def wants_html(request):
    accept = request.headers.get("Accept", "")
    return "text/html" in accept and "application/json" not in accept


def posted_or_nothing(body, content_type):
    try:
        return parse_body(body, content_type)
    except Refusal:
        return {}


def form_refusal_keep(request, webhook, refusal, body, content_type, *, endpoint="lead"):
    """The refused (or honeypot) post as a rejected submission of its endpoint, from a sender
    that proved nothing: ops re-process it only once they take it as genuine."""
    provider = webhook.form_provider
    rejected_submission_record(
        webhook_id=webhook.webhook_id, provider_id=provider.provider_id if provider else "",
        reason_code=refusal.stored_code, reason=refusal.stored_reason, http_status=refusal.status,
        errors=refusal.errors, body=body, content_type=content_type, ip_address=client_ip(request),
        user_agent=request.headers.get("User-Agent", ""), request_id=request.request_id, endpoint=endpoint,
        authenticated=False,
    )

