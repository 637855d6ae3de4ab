"""A webhook's first-party form (leads.forms_page): the lead company's own landing pages post a
consumer's lead here, and it goes in by the one door every lead takes (`lead_ingest`), under the
webhook's form provider. What the form showed the consumer is what is stored: the consent text ops
set, word for word, whatever the post says of it."""
from django.core import signing

from leadhub.errors import ServiceRefusal
from leadhub.values import parse_boolean
from leads.ingest import VERTICAL_CHOICES, VERTICAL_COLUMNS, column_for
from leads.services.ingest import lead_ingest, lead_validate

# The fields every form asks for, then its lead type's own (VERTICAL_COLUMNS).
FORM_FIELDS = ("first_name", "last_name", "email", "phone", "address", "city", "state", "zip_code")
REQUIRED_FIELDS = ("first_name", "last_name", "email", "phone")
CONSENT_FIELD = "consent"  # the checkbox beside the consent text
HONEYPOT_FIELD = "website"  # hidden from people; a bot fills it
# Columns the form itself fills: whatever a post says of them under any alias is not taken.
SET_BY_THE_FORM = frozenset({"consent_description", "consent_value", "tcpa_compliance", "ip_address", "user_agent"})
APPOINTMENT_SALT = "leads.form.appointment"
APPOINTMENT_TOKEN_SECONDS = 24 * 3600


class FormAppointmentRefused(ServiceRefusal):
    code = "appointment_token_invalid"


def form_fields(*, webhook) -> list[dict]:
    """The form's inputs for the webhook's lead type: name, whether required, and choices (if any)."""
    choices = VERTICAL_CHOICES.get(webhook.lead_type, {})
    return [
        {"name": name, "label": name.replace("_", " ").capitalize(), "required": name in REQUIRED_FIELDS,
         "choices": sorted(choices.get(name, ()))}
        for name in (*FORM_FIELDS, *VERTICAL_COLUMNS.get(webhook.lead_type, ()))
    ]


def form_payload(*, webhook, posted: dict, ip_address: str, user_agent: str, referer: str = "") -> dict:
    """The lead payload of a form post: the consent ops wrote (never what was posted as it, under
    any alias), given when the box was ticked, with the consumer's address and browser from the
    connection."""
    try:
        agreed = parse_boolean(posted.get(CONSENT_FIELD, False))
    except ValueError:
        agreed = False
    payload = {key: value for key, value in posted.items()
               if key != HONEYPOT_FIELD and column_for(key) not in SET_BY_THE_FORM}
    payload.update(consent_description=webhook.form_consent_text, consent_value=agreed, tcpa_compliance=agreed,
                   ip_address=ip_address, user_agent=user_agent)
    if referer and not payload.get("landing_page_url"):
        payload["landing_page_url"] = referer[:500]
    return payload


def lead_form_submit(*, webhook, posted: dict, ip_address: str, user_agent: str, referer: str = ""):
    """One consumer's post of a webhook's form: `lead_ingest` (dedup, holds, distribution) under
    the webhook's form provider, the consumer's IP and user agent both the lead's own and the
    connection's. A test-mode webhook validates and stores nothing (None). Raises lead_ingest's
    refusals."""
    payload = form_payload(webhook=webhook, posted=posted, ip_address=ip_address, user_agent=user_agent,
                           referer=referer)
    if webhook.test_mode:
        lead_validate(webhook=webhook, payload=payload)
        return None
    return lead_ingest(webhook=webhook, payload=payload, provider=webhook.form_provider, ip_address=ip_address,
                       user_agent=user_agent)


def form_appointment_token(*, webhook, lead) -> str:
    """What lets the consumer who just sent a lead book its appointment, and nobody else any lead's.
    A bot the honeypot caught (`lead` None) gets one of the same shape that names no lead, so its
    answer cannot be told apart, and booking with it is refused as any invalid token is."""
    return signing.dumps({"webhook": webhook.webhook_id, "lead": lead.pk if lead is not None else 0},
                         salt=APPOINTMENT_SALT, compress=True)


def form_appointment_lead_id(*, webhook, token: str) -> int:
    try:
        data = signing.loads(token or "", salt=APPOINTMENT_SALT, max_age=APPOINTMENT_TOKEN_SECONDS)
    except signing.BadSignature:
        data = None
    if not isinstance(data, dict) or data.get("webhook") != webhook.webhook_id or not data.get("lead"):
        raise FormAppointmentRefused("This booking link is not valid (or has expired): send the form again.",
                                     errors={"token": ["Not valid or expired."]})
    return data["lead"]
