"""Appointment use cases (writes): intake, creation, routing, the status machine, edits.

Every path that creates an appointment (provider webhook, partner API, admin) ends in
`appointment_create`; every status change goes through `_transition`, reached only via
`appointment_status_change` and `appointment_update`.
"""
from dataclasses import dataclass, field

from django.db import transaction
from django.db.models import Case, Q, When
from django.utils import timezone

from appointments.intake import ProviderIntakeForm, clean_appointment, scheduled_at_problem, split_name
from appointments.models import (
    Appointment,
    AppointmentEvent,
    AppointmentLead,
    AppointmentStatus,
    ForwardStatus,
    Outcome,
)
from appointments.selectors import appointment_overlaps
from contacts.models import Contact, ContactEvent
from contacts.services import contact_upsert
from distribution.selectors import appointment_payout_booked
from distribution.services import appointment_sell
from leadhub.actors import SYSTEM, actor_for_provider
from leadhub.errors import ServiceRefusal
from leads.models import AccessHow, Lead, TrackingAction, WorkspaceTracking
from leads.selectors import lead_list
from leads.gate import lead_access_give
from leads.services.access import lead_access_for
from leads.services.status import lead_status_change
from providers.models import WebhookConfig
from providers.services import provider_usage_record
from workspaces.delivery import outbound_event_redeliver, outbox_emit, outbox_release
from workspaces.models import DeliveryStatus, EventType, OutboundEvent, Workspace
from workspaces.selectors import webhook_targets_workspace

S = AppointmentStatus
# The status machine. Final states allow nothing.
TRANSITIONS = {
    S.SCHEDULED: (S.CONFIRMED, S.RESCHEDULED, S.CANCELLED, S.NO_SHOW),
    S.CONFIRMED: (S.COMPLETED, S.RESCHEDULED, S.CANCELLED, S.NO_SHOW),
    S.RESCHEDULED: (S.CONFIRMED, S.RESCHEDULED, S.CANCELLED, S.NO_SHOW),
    S.COMPLETED: (),
    S.CANCELLED: (),
    S.NO_SHOW: (),
}
# A lead in one of these is settled: an appointment may cover it but does not move it back.
CLOSED_LEAD_STATUSES = ("converted", "rejected", "lost")
LEAD_SCHEDULED = "scheduled"
SUBJECT_TYPE = "appointment"  # outbox rows about an appointment: subject_id is its id
COMPLETION_FIELDS = ("outcome", "next_action", "next_action_date")
WORKING_FIELDS = (
    "appointment_type", "duration_minutes", "location_type", "location_address", "notes", "customer_notes",
    "assigned_to", "estimated_value", "service_type", "customer_email",
)


class AppointmentError(ServiceRefusal):
    """A refused appointment write."""

    code = "validation"


class AppointmentInvalid(AppointmentError):
    @classmethod
    def from_errors(cls, errors):
        return cls(f"Invalid appointment data: {', '.join(sorted(errors))}.", errors=errors)


class TransitionNotAllowed(AppointmentError):
    code = "transition_not_allowed"

    def __init__(self, old, new):
        self.allowed = list(TRANSITIONS[old])
        allowed = ", ".join(self.allowed) if self.allowed else f"none ('{old}' is final)"
        message = f"Cannot go from '{old}' to '{new}'. Allowed next: {allowed}."
        super().__init__(message, errors={"status": [message]})


@dataclass(frozen=True)
class AppointmentResult:
    appointment: Appointment
    contact: Contact
    contact_status: str  # "new" | "existing"
    warnings: list = field(default_factory=list)
    ignored_fields: list = field(default_factory=list)  # sent but not honoured (a `workspace_id` not allowed)
    sold: bool = False  # a buyer bought it (distribution.services.appointment_sell)
    price: object = None  # the source's payout booked for this post: None without payout terms, else 0.00 or more

    @property
    def lead(self):
        return self.appointment.lead

    @property
    def object_id(self):
        """What rejected-submission re-processing records as created."""
        return self.appointment.pk

    @property
    def routing_status(self):
        return "routed" if self.appointment.matched_workspace_id else "unrouted"


def appointment_intake_validate(*, payload):
    """The body checks of `appointment_intake`, nothing written (a test-mode webhook's posts):
    the cleaned appointment, or AppointmentInvalid."""
    cleaned = clean_appointment(payload, form_class=ProviderIntakeForm)
    if cleaned.errors:
        raise AppointmentInvalid.from_errors(cleaned.errors)
    _scheduled_at_check(cleaned.values.get("scheduled_at"))
    return cleaned


def appointment_intake(*, webhook, payload, provider=None, ip_address="", user_agent="") -> AppointmentResult:
    """A provider's appointment (the webhook): contact by (webhook, phone), then create. Takes
    lead_ingest's arguments, so rejected-submission re-processing can call it the same way."""
    cleaned = appointment_intake_validate(payload=payload)
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
                             ignored, sold=result.sold,
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


@transaction.atomic
def appointment_create(
    *,
    contact,
    values: dict,
    created_by: str,
    leads=(),
    workspace=None,
    workspace_id: str = "",
    raw_payload=None,
    source=None,
    webhook=None,
) -> AppointmentResult:
    """Create, link leads, route, record, move linked leads to `scheduled` and queue the forward.

    `workspace` is an already-authorised owner (a partner creating its own appointment: not a
    sale); `workspace_id` is a caller's wish, honoured only when that workspace is active and the
    lead's own buyers allow it; otherwise the appointment is sold through the one sale path
    (distribution.services.appointment_sell), which books `webhook`'s payout when due. What the
    caller did not send comes from the primary lead (customer, product, ZIP), then the contact.
    """
    values = dict(values)
    _scheduled_at_check(values.get("scheduled_at"))
    leads = _leads_to_cover(contact=contact, leads=leads, service_type=values.get("service_type", ""))
    if leads:
        lead = leads[0]
        for name, value in (
            ("customer_name", f"{lead.first_name} {lead.last_name}".strip()), ("customer_phone", lead.phone),
            ("customer_email", lead.email), ("customer_zip", lead.zip_code),
            ("service_type", lead.get_lead_type_display()),
        ):
            if value:
                values.setdefault(name, value)
    values.setdefault("customer_phone", contact.phone)
    values.setdefault("customer_name", f"{contact.first_name} {contact.last_name}".strip())
    values.setdefault("customer_zip", contact.zip_code)
    leads = _leads_locked(leads)
    held = [lead.pk for lead in leads if lead.hold_reasons]
    waiting_words = f"waiting: lead {', '.join(f'#{pk}' for pk in held)} is held; routed when released"
    appointment = Appointment(
        contact=contact,
        lead=leads[0] if leads else None,
        routing_method=waiting_words[:255] if held else "",
        forward_status=ForwardStatus.WAITING if held else "",
        created_by=created_by,
        raw_payload=raw_payload if raw_payload is not None else {},
        **values,
    )
    appointment.full_clean(exclude=["contact", "lead", "matched_workspace", "leads"], validate_constraints=False)
    appointment.save()
    AppointmentLead.objects.bulk_create(AppointmentLead(appointment=appointment, lead=lead) for lead in leads)
    if held:
        sold, routing_method = False, waiting_words
    else:
        sold, routing_method = _route(appointment, leads=leads, workspace=workspace, workspace_id=workspace_id,
                                      webhook=webhook, by=created_by)
    matched = appointment.matched_workspace
    # A waiting appointment keeps who routing should honour at release: the owner, the named workspace.
    waiting = {"waiting_for_leads": held, "owner_workspace_id": workspace.pk if workspace else None,
               "named_workspace_id": workspace_id or None} if held else {}
    AppointmentEvent.objects.create(
        appointment=appointment,
        event_type=AppointmentEvent.CREATED,
        new_value=appointment.status,
        created_by=created_by,
        event_data={
            "lead_ids": [lead.pk for lead in leads],
            "matched_workspace_id": matched.pk if matched else None,
            "routing_method": routing_method,
            **waiting,
            **(source or {}),
        },
    )
    if not held:
        _deliver(appointment, leads=leads, by=created_by, sold=sold)
    return AppointmentResult(appointment, contact, "existing", _double_booking(appointment), sold=sold)


def _scheduled_at_check(value):
    """Refuse a time the appointment cannot have (appointments.intake.scheduled_at_problem)."""
    if value is not None and (problem := scheduled_at_problem(value)):
        raise AppointmentInvalid.from_errors({"scheduled_at": [problem]})


def _leads_locked(leads) -> list:
    """These leads re-read under their row locks, in order: whether they are held is then true
    until this transaction ends (a release cannot slip in between)."""
    if not leads:
        return []
    locked = Lead.objects.select_for_update().select_related("contact").in_bulk([lead.pk for lead in leads])
    return [locked[lead.pk] for lead in leads]


def _deliver(appointment, *, leads, by, sold=False):
    """What an appointment's routing gives its workspace, through the lead gate: its record of
    each covered lead (`sold` when it bought the appointment, else `routed`), the leads moved to
    `scheduled` for it (for their own holder when unrouted), and the forward."""
    matched = appointment.matched_workspace
    for lead in leads:
        if matched:
            lead_access_give(lead=lead, workspace=matched, how=AccessHow.SOLD if sold else AccessHow.ROUTED, by=by)
        holder = matched or lead.workspace
        access = lead_access_for(lead=lead, workspace=holder) if holder else None
        if (access or lead).status not in CLOSED_LEAD_STATUSES:
            lead_status_change(
                lead=lead, new_status=LEAD_SCHEDULED, changed_by=by, holder=holder,
                reason=f"Appointment #{appointment.pk} scheduled.", metadata={"appointment_id": appointment.pk},
            )
    if matched:
        _forward(appointment)


def appointments_released(*, lead, by: str) -> list[Appointment]:
    """A lead's last hold was released: route and deliver, in the order they were made, its
    appointments that waited for it (those with no other lead still held), as their creation
    would have: the owner or the named workspace when they were given, else the engine's buyer."""
    routed = []
    waiting = (Appointment.objects.filter(lead_links__lead=lead, forward_status=ForwardStatus.WAITING)
               .order_by("created_at", "pk"))
    for appointment in waiting:
        with transaction.atomic():
            appointment = _locked(appointment)
            leads = _leads_locked([link.lead for link in appointment.lead_links.select_related("lead").order_by("pk")])
            if appointment.forward_status != ForwardStatus.WAITING or any(lead.hold_reasons for lead in leads):
                continue
            created = appointment.events.filter(event_type=AppointmentEvent.CREATED).first()
            asked = created.event_data if created else {}
            owner = Workspace.objects.filter(pk=asked.get("owner_workspace_id") or "").first()
            webhook = WebhookConfig.objects.filter(webhook_id=asked.get("webhook_id") or "").first()
            sold, method = _route(appointment, leads=leads, workspace=owner,
                                  workspace_id=asked.get("named_workspace_id") or "", webhook=webhook, by=by)
            matched = appointment.matched_workspace
            appointment.routing_method = f"released: {method}"[:255]
            appointment.save(update_fields=["routing_method", "updated_at"])
            AppointmentEvent.objects.create(
                appointment=appointment, event_type=AppointmentEvent.ROUTED, new_value=matched.pk if matched else "",
                created_by=by, event_data={"routing_method": appointment.routing_method},
            )
            _deliver(appointment, leads=leads, by=by, sold=sold)
            if matched:
                routed.append(appointment)
    return routed


def _appointment_event_send(appointment, event_type, data):
    """An event about an appointment, which names its leads' person: while one of them is held
    (a hold placed after it was routed) it waits and goes out at the release, in order."""
    held = appointment.lead_links.exclude(lead__hold_reasons="").exists()
    return outbox_emit(
        workspace=appointment.matched_workspace, event_type=event_type, data=data,
        contact_id=appointment.contact_id, subject_type=SUBJECT_TYPE, subject_id=str(appointment.pk), held=held,
    )


def appointment_events_released(*, lead) -> int:
    """Send the events about the lead's appointments that waited while it was held."""
    sent = 0
    for appointment_id in AppointmentLead.objects.filter(lead=lead).values_list("appointment_id", flat=True):
        sent += outbox_release(subject_type=SUBJECT_TYPE, subject_id=appointment_id)
    return sent


def _leads_to_cover(*, contact, leads, service_type):
    """Named leads (all of this contact), or else the contact's one open lead for this product."""
    if leads:
        foreign = [str(lead.pk) for lead in leads if lead.contact_id != contact.pk]
        if foreign:
            raise AppointmentInvalid.from_errors({"lead_ids": [
                f"Lead {', '.join(foreign)} belongs to another contact; an appointment covers leads of "
                f"one contact (#{contact.pk})."
            ]})
        return list(leads)
    product = (service_type or "").strip()
    if not product:
        return []
    candidates = list(
        contact.leads.exclude(status__in=CLOSED_LEAD_STATUSES)
        .filter(Q(productid__iexact=product) | Q(lead_type__iexact=product))[:2]
    )
    return candidates if len(candidates) == 1 else []


def _route(appointment, *, leads, workspace, workspace_id, webhook, by):
    """Give the saved appointment its workspace and human-readable `routing_method`: the owner,
    else its buyer through the one sale path (the caller's named workspace when the lead's own
    buyers allow it, else the engine's). A named workspace that is missing or inactive reads the
    same, so routing_method never tells whether a workspace exists. Returns (sold, routing_method)."""
    if workspace is not None:
        matched, method, sold = workspace, f"owner: created by workspace '{workspace.pk}'", False
    else:
        prefix, named = "", None
        if workspace_id:
            named = Workspace.objects.filter(pk=workspace_id, is_active=True).first()
            prefix = (f"named: workspace '{workspace_id}' given by the caller; " if named is not None
                      else f"named workspace '{workspace_id}' not available, routing decided; ")
        matched, method, sold = appointment_sell(appointment=appointment, leads=leads, by=by, webhook=webhook,
                                                 only=named)
        method = f"{prefix}{method}"
    appointment.matched_workspace, appointment.routing_method = matched, method[:255]
    appointment.forward_status = ForwardStatus.PENDING if matched else ""
    appointment.save(update_fields=["matched_workspace", "routing_method", "forward_status", "updated_at"])
    return sold, method


def _double_booking(appointment):
    """Warnings (not errors): the rep is already booked at an overlapping time, among the
    appointments of the same workspace only (never another workspace's ids)."""
    clashes = appointment_overlaps(appointment=appointment)
    if not clashes:
        return []
    ids = [clash.pk for clash in clashes]
    return [{
        "code": "double_booking",
        "message": f"{appointment.assigned_to} already has appointment(s) {', '.join(map(str, ids))} at an "
                   "overlapping time.",
        "appointment_ids": ids,
    }]


def _forward(appointment):
    """Queue the `appointment.created` delivery to the matched workspace: that delivery IS the
    forward, and `appointment_forward_mirror` copies its state onto the appointment. An
    appointment covering a held lead is not routed until the lead is released
    (`appointments_released`), so nothing of a held lead is forwarded.

    When nothing is queued the appointment says why, truthfully, instead of staying pending:
    - the workspace has no outbound webhook URL: it reads its appointments through the partner
      API (`GET /api/v1/appointments/`), which is a way of working, not a failure: `api`;
    - it has a URL but does not subscribe to `appointment.created`: it asked for pushes and this
      one cannot reach it, which ops should see: `failed` (a switched-off webhook is `failed` too,
      through the delivery's `skipped` state, `appointment_forward_mirror`)."""
    event = _appointment_event_send(appointment, EventType.APPOINTMENT_CREATED, appointment_payload(appointment))
    if event is None:
        workspace_id = appointment.matched_workspace_id
        has_url = Workspace.objects.filter(pk=workspace_id).exclude(outbound_webhook_url="").exists()
        if has_url:
            appointment.forward_status = ForwardStatus.FAILED
            appointment.forward_response = (
                f"Not sent: workspace '{workspace_id}' has an outbound webhook URL but does not subscribe to "
                f"{EventType.APPOINTMENT_CREATED}."
            )
        else:
            appointment.forward_status = ForwardStatus.API
            appointment.forward_response = (
                f"Not pushed: workspace '{workspace_id}' has no outbound webhook URL and reads its appointments "
                "through the partner API (GET /api/v1/appointments/)."
            )
        appointment.save(update_fields=["forward_status", "forward_response", "updated_at"])
    return event


# Delivery state → forward_status. `skipped` (the workspace's webhook is off) is not a forward.
FORWARD_STATUS = {
    DeliveryStatus.PENDING: ForwardStatus.PENDING,
    DeliveryStatus.DELIVERED: ForwardStatus.COMPLETED,
    DeliveryStatus.FAILED: ForwardStatus.FAILED,
    DeliveryStatus.SKIPPED: ForwardStatus.FAILED,
}


def appointment_forward_mirror(*, event, attempt=None):
    """Copy an `appointment.created` delivery's state onto its appointment (in the delivery's
    transaction). A successful attempt is a forward: tracking `sent` and a `forwarded` event."""
    if event.event_type != EventType.APPOINTMENT_CREATED or event.subject_type != SUBJECT_TYPE:
        return
    appointment = Appointment.objects.select_for_update().filter(pk=event.subject_id).first()
    if appointment is None:
        return
    appointment.forward_status = FORWARD_STATUS[event.status]
    appointment.forward_attempts = event.attempts
    if event.status == DeliveryStatus.SKIPPED:
        appointment.forward_response = "Not sent: the workspace's webhook is switched off (send it again later)."
    elif attempt is not None:
        code = attempt.status_code if attempt.status_code is not None else "no response"
        appointment.forward_response = f"{code}: {attempt.response_body or attempt.error}"[:2048]
    fields = ["forward_status", "forward_attempts", "forward_response", "updated_at"]
    delivered = attempt is not None and event.status == DeliveryStatus.DELIVERED
    if delivered:
        appointment.forwarded_at = event.delivered_at
        fields.append("forwarded_at")
    appointment.save(update_fields=fields)
    if delivered:
        WorkspaceTracking.objects.create(
            contact_id=appointment.contact_id, lead_id=appointment.lead_id, workspace_id=event.workspace_id,
            action=TrackingAction.SENT, performed_by=SYSTEM,
            action_details=f"Appointment #{appointment.pk} forwarded.",
            metadata={"appointment_id": appointment.pk, "event_id": str(event.pk)},
        )
        AppointmentEvent.objects.create(
            appointment=appointment, event_type=AppointmentEvent.FORWARDED, new_value=str(attempt.status_code),
            created_by=SYSTEM,
            event_data={"event_id": str(event.pk), "workspace_id": event.workspace_id, "attempts": event.attempts,
                        "latency_ms": attempt.latency_ms},
        )


@transaction.atomic
def appointment_forward_again(*, appointment, by: str):
    """Admin "Forward again": send the appointment's `appointment.created` event once more, or a
    new one when none was stored (e.g. the workspace had no webhook URL then)."""
    appointment = _locked(appointment)
    if not appointment.matched_workspace_id:
        raise AppointmentInvalid.from_errors({"matched_workspace": ["Unrouted: route it before forwarding."]})
    event = (
        OutboundEvent.objects.filter(
            event_type=EventType.APPOINTMENT_CREATED, subject_type=SUBJECT_TYPE, subject_id=str(appointment.pk),
            workspace_id=appointment.matched_workspace_id,
        )
        .order_by("-created_at")
        .first()
    )
    AppointmentEvent.objects.create(
        appointment=appointment, event_type="forward_requested", created_by=by,
        event_data={"event_id": str(event.pk) if event else None},
    )
    if event is None:
        return _forward(appointment)
    outbound_event_redeliver(event=event)
    return event


def appointment_payload(appointment) -> dict:
    """The `data` of appointment.* events: what the workspace needs to act on it."""
    def iso(value):
        return value.isoformat() if value else None

    return {
        "appointment_id": appointment.pk,
        "contact_id": appointment.contact_id,
        "lead_id": appointment.lead_id,
        "lead_ids": list(appointment.lead_links.values_list("lead_id", flat=True)),
        "status": appointment.status,
        "appointment_type": appointment.appointment_type,
        "scheduled_at": iso(appointment.scheduled_at),
        "duration_minutes": appointment.duration_minutes,
        "location_type": appointment.location_type,
        "location_address": appointment.location_address,
        "customer_name": appointment.customer_name,
        "customer_phone": appointment.customer_phone,
        "customer_email": appointment.customer_email,
        "customer_zip": appointment.customer_zip,
        "service_type": appointment.service_type,
        "estimated_value": str(appointment.estimated_value) if appointment.estimated_value is not None else None,
        "assigned_to": appointment.assigned_to,
        "notes": appointment.notes,
        "customer_notes": appointment.customer_notes,
        "outcome": appointment.outcome,
        "next_action": appointment.next_action,
        "next_action_date": iso(appointment.next_action_date),
    }


def _locked(appointment):
    return Appointment.objects.select_for_update().get(pk=appointment.pk)


def _transition(appointment, *, new_status, changed_by, scheduled_at=None, reason="", completion=None):
    """THE status machine: one legal step, its event, and the completion details."""
    completion = {name: value for name, value in (completion or {}).items() if value not in (None, "")}
    if new_status not in S.values:
        raise AppointmentInvalid.from_errors({"status": [f"'{new_status}' is not a status; one of: {', '.join(S.values)}."]})
    old_status = appointment.status
    if new_status not in TRANSITIONS[old_status]:
        raise TransitionNotAllowed(old_status, new_status)
    if new_status == S.RESCHEDULED and scheduled_at is None:
        raise AppointmentInvalid.from_errors({"scheduled_at": ["Rescheduling means a new scheduled_at; send it."]})
    _scheduled_at_check(scheduled_at)
    if completion and new_status != S.COMPLETED:
        raise AppointmentInvalid.from_errors(
            {name: ["Recorded only when the appointment is completed."] for name in completion}
        )
    if "outcome" in completion and completion["outcome"] not in Outcome.values:
        raise AppointmentInvalid.from_errors({"outcome": [f"One of: {', '.join(Outcome.values)}."]})
    event_data = {"old_status": old_status, "new_status": new_status}
    if reason:
        event_data["reason"] = reason
    old_value, new_value = old_status, new_status
    if new_status == S.RESCHEDULED:
        event_data["old_scheduled_at"] = appointment.scheduled_at.isoformat()
        event_data["new_scheduled_at"] = scheduled_at.isoformat()
        old_value, new_value = event_data["old_scheduled_at"], event_data["new_scheduled_at"]
        appointment.scheduled_at = scheduled_at
    for name, value in completion.items():
        setattr(appointment, name, value)
        event_data[name] = value.isoformat() if hasattr(value, "isoformat") else value
    appointment.status = new_status
    appointment.save(update_fields=["status", "scheduled_at", *completion, "updated_at"])
    AppointmentEvent.objects.create(
        appointment=appointment, event_type=new_status, old_value=old_value, new_value=new_value,
        created_by=changed_by, event_data=event_data,
    )
    return appointment


@transaction.atomic
def appointment_status_change(
    *, appointment, new_status, changed_by: str, scheduled_at=None, reason: str = "", outcome: str = "",
    next_action: str = "", next_action_date=None,
) -> Appointment:
    """One status change (rescheduling needs the new `scheduled_at`); emits appointment.updated."""
    appointment = _transition(
        _locked(appointment), new_status=new_status, changed_by=changed_by, scheduled_at=scheduled_at,
        reason=reason, completion={"outcome": outcome, "next_action": next_action, "next_action_date": next_action_date},
    )
    _emit_updated(appointment, changes=["status"])
    return appointment


@transaction.atomic
def appointment_update(*, appointment, changed_by: str, reason: str = "", **changes):
    """One edit as one transaction: a new `scheduled_at` reschedules, then `status` (with the
    completion fields), then the working fields. Returns (appointment, double-booking warnings).

    Sending the current status again is not a transition and changes nothing.
    """
    unknown = sorted(set(changes) - {"status", "scheduled_at", *COMPLETION_FIELDS, *WORKING_FIELDS})
    if unknown:
        raise AppointmentInvalid.from_errors({name: ["This field cannot be changed here."] for name in unknown})
    appointment = _locked(appointment)
    changed = []
    scheduled_at = changes.pop("scheduled_at", None)
    if scheduled_at is not None and scheduled_at != appointment.scheduled_at:
        _transition(appointment, new_status=S.RESCHEDULED, changed_by=changed_by, scheduled_at=scheduled_at, reason=reason)
        changed.append("scheduled_at")
    completion = {name: changes.pop(name) for name in COMPLETION_FIELDS if name in changes}
    status = changes.pop("status", None)
    if status is not None and (status != appointment.status or status == S.RESCHEDULED and scheduled_at is None):
        _transition(appointment, new_status=status, changed_by=changed_by, reason=reason, completion=completion)
        changed.append("status")
    elif any(value not in (None, "") for value in completion.values()):
        raise AppointmentInvalid.from_errors(
            {name: ["Recorded only when the appointment is completed (send status: completed)."] for name in completion}
        )
    edits = {name: value for name, value in changes.items() if getattr(appointment, name) != value}
    if edits:
        old = {name: getattr(appointment, name) for name in edits}
        for name, value in edits.items():
            setattr(appointment, name, value)
        appointment.full_clean(exclude=[f.name for f in Appointment._meta.fields if f.name not in edits],
                               validate_unique=False, validate_constraints=False)
        appointment.save(update_fields=[*edits, "updated_at"])
        AppointmentEvent.objects.create(
            appointment=appointment, event_type=AppointmentEvent.UPDATED, created_by=changed_by,
            old_value=", ".join(f"{name}={_text(value)}" for name, value in old.items()),
            new_value=", ".join(f"{name}={_text(value)}" for name, value in edits.items()),
            event_data={"changes": {name: [_text(old[name]), _text(value)] for name, value in edits.items()}},
        )
        changed.extend(edits)
    if changed:
        _emit_updated(appointment, changes=changed)
    warnings = _double_booking(appointment) if {"scheduled_at", "assigned_to", "duration_minutes"} & set(changed) else []
    return appointment, warnings


def _text(value):
    if value is None:
        return ""
    return value.isoformat() if hasattr(value, "isoformat") else str(value)


def _emit_updated(appointment, *, changes):
    if appointment.matched_workspace_id is None:
        return
    _appointment_event_send(appointment, EventType.APPOINTMENT_UPDATED, {**appointment_payload(appointment),
                                                                       "changes": changes})


@transaction.atomic
def appointment_route(*, appointment, workspace=None, by: str) -> Appointment:
    """Ops route an unrouted appointment (admin one-click): to a chosen workspace, or by the
    rules again (`workspace` None, after ops added an offer; refused while none serves it). Either
    way through the one sale path: the buyer pays its appointment offer's price when it has one
    that takes it; a chosen workspace without one gets it unsold, as ops chose. A lead sold
    exclusively keeps its appointments with its buyer. Then it is forwarded."""
    appointment = _locked(appointment)
    if appointment.matched_workspace_id:
        raise AppointmentInvalid.from_errors(
            {"matched_workspace": [f"Already routed to '{appointment.matched_workspace_id}'."]}
        )
    if workspace is not None and not workspace.is_active:
        raise AppointmentInvalid.from_errors({"matched_workspace": [f"Workspace '{workspace.pk}' is inactive."]})
    leads = _leads_locked([link.lead for link in appointment.lead_links.select_related("lead").order_by("pk")])
    created = appointment.events.filter(event_type=AppointmentEvent.CREATED).first()
    webhook_id = (created.event_data if created else {}).get("webhook_id") or ""
    matched, method, sold = appointment_sell(
        appointment=appointment, leads=leads, by=by, only=workspace,
        webhook=WebhookConfig.objects.filter(webhook_id=webhook_id).first(),
    )
    if matched is None:
        message = "Still no offer serves this ZIP and product."
        raise AppointmentInvalid(message, errors={"matched_workspace": [message]})
    if workspace is not None and matched != workspace:
        message = f"Not '{workspace.pk}': {method}"
        raise AppointmentInvalid(message, errors={"matched_workspace": [message]})
    appointment.matched_workspace = matched
    words = f"manual: routed to '{matched.pk}' by {by}" if workspace is not None else f"re-routed by {by}"
    appointment.routing_method = f"{words}: {method}"[:255]
    appointment.forward_status = ForwardStatus.PENDING
    appointment.save(update_fields=["matched_workspace", "routing_method", "forward_status", "updated_at"])
    for lead in leads:
        lead_access_give(lead=lead, workspace=matched, how=AccessHow.SOLD if sold else AccessHow.ROUTED, by=by)
    AppointmentEvent.objects.create(
        appointment=appointment, event_type=AppointmentEvent.ROUTED, new_value=matched.pk, created_by=by,
        event_data={"routing_method": appointment.routing_method},
    )
    _forward(appointment)
    return appointment


def appointment_route_by_rules(*, appointment, by: str) -> Appointment:
    """Admin "Route by the rules now": `appointment_route` by the rules."""
    return appointment_route(appointment=appointment, by=by)
