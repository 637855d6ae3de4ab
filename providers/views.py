"""`GET /api/docs/providers/`: the provider quick start, served beside the API reference.
`?webhook=<webhook_id>` adds that webhook's field and value mapping (read-only), so a source sees
which of its own field names and values the webhook reads as which.

Its example answers are built by the code that answers real posts, so the page cannot drift
from what providers receive.
"""
import json

from django.shortcuts import render

from leadhub.api.exceptions import Refusal, refusal_response
from leadhub.signing import SIGNATURE_HEADER
from providers.auth import API_KEY_HEADER, PROVIDER_HEADER
from providers.gate import test_mode_body
from providers import selectors
from providers.payloads import DOCUMENTED_MEDIA_TYPES
from providers.signatures import TOLERANCE_SECONDS

# The body every signing example signs, byte for byte.
EXAMPLE_BODY = ('{"first_name":"Ada","last_name":"Lovelace","email":"ada@example.com","phone":"(415) 555-0132",'
                '"zip_code":"94105","consent_value":true,"tcpa_compliance":true}')
EXAMPLE_REQUEST_ID = "3f2c1d0e9b8a47c6a5d4e3f2a1b0c9d8"


def _pretty(body) -> str:
    return json.dumps(body, indent=2)


def provider_quickstart(request):
    invalid = refusal_response(
        Refusal(422, "validation", "Invalid lead data: email, phone.",
                errors={"email": ["'ada@' is not a valid email address."],
                        "phone": ["'555' is not a valid US/NANP phone number."]}),
        request_id=EXAMPLE_REQUEST_ID, lead_id=None, external_id=None, contact_status=None, disposition=None,
    )
    context = {
        "leads_url": request.build_absolute_uri("/api/v1/webhooks/") + "<webhook_id>/leads/",
        "appointments_url": request.build_absolute_uri("/api/v1/webhooks/") + "<webhook_id>/appointments/",
        "provider_header": PROVIDER_HEADER,
        "api_key_header": API_KEY_HEADER,
        "signature_header": SIGNATURE_HEADER,
        "media_types": DOCUMENTED_MEDIA_TYPES,
        "tolerance_minutes": TOLERANCE_SECONDS // 60,
        "body": EXAMPLE_BODY,
        "created": _pretty({
            "outcome": "success", "reason": None, "lead_id": 120045, "external_id": None, "contact_id": 88012,
            "contact_status": "new",
            "disposition": {"held_for_consent": False, "held_reason": None, "holds": [], "ignored_fields": [],
                            "dropped_fields": [], "invalid_evidence": [], "unknown_fields": [], "cleaned_fields": [],
                            "sold": True, "price": "12.50"},
        }),
        "failure": _pretty(json.loads(invalid.content)),
        "test_mode": _pretty(test_mode_body("lead")),
    }
    webhook_id = request.GET.get("webhook", "")
    webhook = selectors.webhook_get(webhook_id=webhook_id) if webhook_id else None
    if selectors.webhook_is_open(webhook):
        context["webhook"] = webhook
        context["mapping"] = selectors.webhook_mapping_rows(webhook=webhook)
    return render(request, "providers/quickstart.html", context)
