"""Every path that creates an appointment (provider webhook, partner API, admin) ends in
`appointment_create`.
"""

from django.db import transaction
from django.db.models import Q

from appointments.models import Appointment, AppointmentEvent, AppointmentLead, ForwardStatus
from appointments.services.common import (
    CLOSED_LEAD_STATUSES,
    AppointmentInvalid,
    AppointmentResult,
    double_booking,
    leads_lock,
    scheduled_at_check,
)
from appointments.services.routing import routing_apply, routing_deliver


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
    scheduled_at_check(values.get("scheduled_at"))
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
    leads = leads_lock(leads)
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
        sold, routing_method = routing_apply(appointment, leads=leads, workspace=workspace, workspace_id=workspace_id,
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
        routing_deliver(appointment, leads=leads, by=created_by, sold=sold)
    return AppointmentResult(appointment, contact, "existing", double_booking(appointment), sold=sold)


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
