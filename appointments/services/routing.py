"""Which workspace an appointment goes to, through the one sale path (distribution.services.
appointment_sell): at creation, by ops (`appointment_route`), and when a held lead is released
(`appointments_released`); then what routing gives that workspace (`routing_deliver`).
"""

from django.db import transaction

from appointments.models import Appointment, AppointmentEvent, ForwardStatus
from appointments.services.common import CLOSED_LEAD_STATUSES, AppointmentInvalid, appointment_lock, leads_lock
from appointments.services.forwarding import appointment_forward
from distribution.services import appointment_sell
from leads.gate import lead_access_give
from leads.models import AccessHow
from leads.services.access import lead_access_for
from leads.services.status import lead_status_change
from providers.models import WebhookConfig
from workspaces.models import Workspace

LEAD_SCHEDULED = "scheduled"


def routing_deliver(appointment, *, leads, by, sold=False):
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
        appointment_forward(appointment)


def appointments_released(*, lead, by: str) -> list[Appointment]:
    """A lead's last hold was released: route and deliver, in the order they were made, its
    appointments that waited for it (those with no other lead still held), as their creation
    would have: the owner or the named workspace when they were given, else the engine's buyer."""
    routed = []
    waiting = (Appointment.objects.filter(lead_links__lead=lead, forward_status=ForwardStatus.WAITING)
               .order_by("created_at", "pk"))
    for appointment in waiting:
        with transaction.atomic():
            appointment = appointment_lock(appointment)
            leads = leads_lock([link.lead for link in appointment.lead_links.select_related("lead").order_by("pk")])
            if appointment.forward_status != ForwardStatus.WAITING or any(lead.hold_reasons for lead in leads):
                continue
            created = appointment.events.filter(event_type=AppointmentEvent.CREATED).first()
            asked = created.event_data if created else {}
            owner = Workspace.objects.filter(pk=asked.get("owner_workspace_id") or "").first()
            webhook = WebhookConfig.objects.filter(webhook_id=asked.get("webhook_id") or "").first()
            sold, method = routing_apply(appointment, leads=leads, workspace=owner,
                                  workspace_id=asked.get("named_workspace_id") or "", webhook=webhook, by=by)
            matched = appointment.matched_workspace
            appointment.routing_method = f"released: {method}"[:255]
            appointment.save(update_fields=["routing_method", "updated_at"])
            AppointmentEvent.objects.create(
                appointment=appointment, event_type=AppointmentEvent.ROUTED, new_value=matched.pk if matched else "",
                created_by=by, event_data={"routing_method": appointment.routing_method},
            )
            routing_deliver(appointment, leads=leads, by=by, sold=sold)
            if matched:
                routed.append(appointment)
    return routed


def routing_apply(appointment, *, leads, workspace, workspace_id, webhook, by):
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


@transaction.atomic
def appointment_route(*, appointment, workspace=None, by: str) -> Appointment:
    """Ops route an unrouted appointment (admin one-click): to a chosen workspace, or by the
    rules again (`workspace` None, after ops added an offer; refused while none serves it). Either
    way through the one sale path: the buyer pays its appointment offer's price when it has one
    that takes it; a chosen workspace without one gets it unsold, as ops chose. A lead sold
    exclusively keeps its appointments with its buyer. Then it is forwarded."""
    appointment = appointment_lock(appointment)
    if appointment.matched_workspace_id:
        raise AppointmentInvalid.from_errors(
            {"matched_workspace": [f"Already routed to '{appointment.matched_workspace_id}'."]}
        )
    if workspace is not None and not workspace.is_active:
        raise AppointmentInvalid.from_errors({"matched_workspace": [f"Workspace '{workspace.pk}' is inactive."]})
    leads = leads_lock([link.lead for link in appointment.lead_links.select_related("lead").order_by("pk")])
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
    appointment_forward(appointment)
    return appointment


def appointment_route_by_rules(*, appointment, by: str) -> Appointment:
    """Admin "Route by the rules now": `appointment_route` by the rules."""
    return appointment_route(appointment=appointment, by=by)
