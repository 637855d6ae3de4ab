"""An appointment arrives: a provider's post (`appointment_intake`) or a partner's
(`appointment_submit`); the leads it names are looked up here, then `appointment_create`.
"""
from dataclasses import replace

from django.db import transaction
from django.db.models import Case, When
from django.utils import timezone
from providers.mapping import payload_map, unknown_fields_refused
from providers.services.usage import provider_usage_record

from appointments.intake import ProviderIntakeForm, clean_appointment, split_name, unknown_fields
from appointments.services.common import AppointmentInvalid, AppointmentResult, scheduled_at_check
from appointments.services.create import appointment_create
from contacts.models import ContactEvent
from contacts.services import contact_upsert
from distribution.selectors import appointment_payout_booked
from leadhub.actors import SYSTEM, actor_for_provider
from leads.services.forms import form_appointment_lead_id
from leads.models import Lead
from leads.selectors import lead_list
from workspaces.selectors import webhook_targets_workspace


def appointment_intake_validate(*, webhook, payload):
    """The body checks of `appointment_intake`, nothing written (a test-mode webhook's posts):
    the cleaned appointment, or AppointmentInvalid. The webhook's field and value mapping is
    applied first (`providers.mapping.payload_map`)."""
    payload, mapped_errors = payload_map(payload, webhook.payload_mapping)
    cleaned = clean_appointment(payload, form_class=ProviderIntakeForm)
    unknown = unknown_fields(payload)
    if errors := {**cleaned.errors, **mapped_errors, **(unknown_fields_refused(unknown) if webhook.strict else {})}:
        raise AppointmentInvalid.from_errors(errors)
    scheduled_at_check(cleaned.values.get("scheduled_at"))
    return replace(cleaned, unknown=unknown)


def appointment_intake(*, webhook, payload, provider=None, ip_address="", user_agent="") -> AppointmentResult:
    """A provider's appointment (the webhook): contact by (webhook, phone), then create. Takes
    lead_ingest's arguments, so rejected-submission re-processing can call it the same way."""
    cleaned = appointment_intake_validate(webhook=webhook, payload=payload)
    created_by = actor_for_provider(provider) if provider else SYSTEM
    workspace_id, ignored = cleaned.workspace_id, []
    if workspace_id and not webhook_targets_workspace(webhook_id=webhook.webhook_id, workspace_id=workspace_id):
        # Named but not a direct target of this webhook: routing decides, and whether such a
        # workspace exists is not told (routing_method says nothing about it).
        workspace_id, ignored = "", ["workspace_id"]
    with transaction.atomic():
        # A provider names only leads it sent (without one: leads of this webhook); another
        # source's lead is "no lead", so ids cannot be probed either.
        if provider is not None:
            own = Lead.objects.filter(provider_id=provider.provider_id)
        else:
            own = Lead.objects.filter(webhook_id=webhook.webhook_id)
        leads = _leads_referenced(cleaned.lead_references, within=own, webhook=webhook, provider=provider)
        if leads:  # the lead names the customer: its contact, whatever phone was sent
            contact, contact_created = leads[0].contact, False
        else:
            contact, contact_created = _contact_find_or_create(webhook_id=webhook.webhook_id, values=cleaned.values)
        result = appointment_create(
            contact=contact,
            values=cleaned.values,
            leads=leads,
            workspace_id=workspace_id,
            created_by=created_by,
            raw_payload=payload,
            webhook=webhook,
            source={"webhook_id": webhook.webhook_id, "provider_id": provider.provider_id if provider else None,
                    "ip_address": ip_address, "ignored_fields": ignored},
        )
        if provider is not None:
            provider_usage_record(provider=provider, webhook_id=webhook.webhook_id, now=timezone.now())
    return AppointmentResult(result.appointment, contact, "new" if contact_created else "existing", result.warnings,
                             ignored, unknown_fields=cleaned.unknown, sold=result.sold,
                             price=appointment_payout_booked(appointment=result.appointment, webhook=webhook))


def appointment_submit(*, payload, created_by: str, workspace=None) -> AppointmentResult:
    """Partner API: an appointment for leads the caller can see (the contact is theirs).

    A workspace key creates appointments for itself; staff (`workspace=None`) may name a
    `workspace_id` or let routing decide.
    """
    cleaned = clean_appointment(payload)
    if cleaned.errors:
        raise AppointmentInvalid.from_errors(cleaned.errors)
    if not cleaned.lead_references:
        raise AppointmentInvalid.from_errors({"lead_id": ["Required: name the lead (or lead_ids) this is for."]})
    if workspace is not None and cleaned.workspace_id not in ("", workspace.pk):
        raise AppointmentInvalid.from_errors({"workspace_id": ["A workspace key creates appointments for itself."]})
    leads = _leads_referenced(cleaned.lead_references, within=lead_list(workspace=workspace))
    return appointment_create(
        contact=leads[0].contact, values=cleaned.values, leads=leads, workspace=workspace,
        workspace_id=cleaned.workspace_id, created_by=created_by, raw_payload=payload,
    )


# How each lead reference field finds its lead.
LEAD_REFERENCE_LOOKUPS = {"lead_id": "pk", "lead_ids": "pk", "lead_external_id": "external_id"}


def _leads_referenced(references, *, within=None, webhook=None, provider=None):
    """THE lookup of the leads a payload names, in order; a reference that finds none (or none the
    caller may see, `within`) is refused under the field that was sent.

    A `lead_external_id` is the posting provider's own reference, so only its own leads are
    searched; the reference is unique per webhook, and the lead on the posting webhook comes
    first if the provider used it on several."""
    within = Lead.objects.all() if within is None else within
    leads, missing = [], {}
    for name, value in references:
        found = within.select_related("contact").filter(**{LEAD_REFERENCE_LOOKUPS[name]: value})
        if name == "lead_external_id":
            found = found.filter(provider_id=provider.provider_id if provider else "").order_by(
                Case(When(webhook_id=webhook.webhook_id if webhook else "", then=0), default=1), "-pk"
            )
        lead = found.first()
        if lead is None:
            missing.setdefault(name, []).append(str(value))
        elif lead not in leads:
            leads.append(lead)
    if missing:
        raise AppointmentInvalid.from_errors(
            {name: [f"No lead with {name.removesuffix('s')} {', '.join(values)}."] for name, values in missing.items()}
        )
    return leads


def _contact_find_or_create(*, webhook_id, values):
    """The live (webhook, phone) contact through the one contact dedup; a new one is named from
    `customer_name` split at the last space and must have a name (the caller's transaction rolls
    the insert back otherwise)."""
    first_name, last_name = split_name(values.get("customer_name", ""))
    contact, created, _changed = contact_upsert(
        webhook_id=webhook_id,
        phone=values["customer_phone"],
        now=timezone.now(),
        values={
            "first_name": first_name,
            "last_name": last_name,
            "email": values.get("customer_email", ""),
            "zip_code": values.get("customer_zip", ""),
        },
    )
    if created:
        if not first_name:
            raise AppointmentInvalid.from_errors({"customer_name": ["Required: no contact has this phone yet."]})
        ContactEvent.objects.create(
            contact=contact, event_type=ContactEvent.CREATED, event_data={"source": "appointment"}
        )
    return contact, created


def appointment_form_book(*, webhook, token, payload, ip_address="", user_agent="") -> AppointmentResult:
    """The optional step of a webhook's first-party form (leads.forms_page): the consumer who just
    sent a lead books a time for it, named by the signed token the form's answer carried (no other
    lead can be named), through the webhook's own intake."""
    lead_id = form_appointment_lead_id(webhook=webhook, token=token)
    booking = {name: payload[name] for name in ("scheduled_at", "customer_notes", "appointment_type") if name in payload}
    return appointment_intake(webhook=webhook, payload={**booking, "lead_id": lead_id},
                              provider=webhook.form_provider, ip_address=ip_address, user_agent=user_agent)
