"""`POST /api/v1/forms/<webhook_id>/appointment/`: the optional second step of a webhook's
first-party form (leads.forms_page), a time booked for the lead the consumer just sent
(appointments.services.intake.appointment_form_book). Guarded as the form's post is: allowed
origins (CORS), the per-address limit; its refusals are kept as the appointment endpoint's."""
from django.http import Http404, JsonResponse
from django.shortcuts import render
from django.views.decorators.csrf import csrf_exempt

from appointments.services.intake import appointment_form_book
from leadhub.api.exceptions import Refusal, refusal_response, service_refusal_status
from leadhub.errors import ServiceRefusal
from leadhub.middleware import client_ip
from leads.forms_page import (
    cors_allow, form_body, form_post_guard, form_preflight, form_refusal_keep, form_webhook, wants_html,
)
from providers.payloads import parse_body


@csrf_exempt
def form_appointment(request, webhook_id):
    webhook = form_webhook(webhook_id)
    if not webhook.form_appointments:
        raise Http404("No appointment step here.")
    origin, answer = form_preflight(request, webhook)
    if answer is not None:
        return answer
    content_type, body = request.META.get("CONTENT_TYPE", ""), b""
    try:
        body = form_body(request)
        form_post_guard(request, webhook, origin)
        posted = parse_body(body, content_type)
        try:
            result = appointment_form_book(webhook=webhook, token=str(posted.get("token") or ""), payload=posted,
                                           ip_address=client_ip(request),
                                           user_agent=request.headers.get("User-Agent", ""))
        except ServiceRefusal as exc:
            raise Refusal(service_refusal_status(exc), exc.code, exc.reason, errors=exc.errors) from None
    except Refusal as refusal:
        form_refusal_keep(request, webhook, refusal, body, content_type, endpoint="appointment")
        response = refusal_response(refusal, request_id=request.request_id)
        return cors_allow(response, origin) if origin else response
    booked = f"Booked for {result.appointment.scheduled_at.isoformat()}."
    if wants_html(request):
        response = render(request, "leads/form_thanks.html", {"webhook": webhook, "thanks": booked}, status=201)
    else:
        response = JsonResponse({"outcome": "success", "reason": booked}, status=201)
    return cors_allow(response, origin)
