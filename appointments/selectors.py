"""Appointment reads: tenancy-scoped lists for the partner API and admin, and the clash check."""
from datetime import timedelta

from appointments.intake import MAX_DURATION_MINUTES
from django.db.models import Q

from appointments.models import Appointment, AppointmentStatus
from leadhub.times import shifted
from leads.selectors import lead_held_by, lead_timeline_item
from workspaces.selectors import readable_by

# Where an appointment keeps its customer, for `leadhub.search.person_search_q` (admin and API search).
CUSTOMER_SEARCH_FIELDS = {"phone": "customer_phone", "email": "customer_email", "names": ("customer_name",)}


def appointment_list(*, workspace=None):
    """Appointments routed to `workspace` whose lead it still holds (None: staff, every
    appointment): once its access to the lead is revoked, the lead's appointments go with it."""
    queryset = Appointment.objects.prefetch_related("lead_links")
    if workspace is not None:
        queryset = queryset.filter(matched_workspace=workspace).filter(
            Q(lead__isnull=True) | lead_held_by(workspace=workspace, lead_ref="lead_id")
        )
    return queryset


def appointment_overlaps(*, appointment):
    """Other live appointments of the same rep of the same workspace that overlap this one in time.

    Candidates start at most MAX_DURATION_MINUTES before this one ends (an indexed range on
    (assigned_to, scheduled_at)); the exact end-time check is done on those few rows. The sums are
    held inside the calendar (leadhub.times.shifted) for a time stored at its edge.
    """
    if not appointment.assigned_to:
        return []
    start = appointment.scheduled_at
    end = shifted(start, timedelta(minutes=appointment.duration_minutes))
    candidates = (
        Appointment.objects.filter(
            assigned_to=appointment.assigned_to,
            matched_workspace_id=appointment.matched_workspace_id,
            scheduled_at__lt=end,
            scheduled_at__gte=shifted(start, -timedelta(minutes=MAX_DURATION_MINUTES)),
        )
        .exclude(pk=appointment.pk)
        .exclude(status__in=[AppointmentStatus.CANCELLED, AppointmentStatus.NO_SHOW])
        .order_by("scheduled_at", "id")
    )
    return [other for other in candidates if shifted(other.scheduled_at, timedelta(minutes=other.duration_minutes)) > start]


def lead_appointment_items(*, lead, workspace) -> list[dict]:
    """The lead's section of appointments on its timeline (`leads.selectors.lead_timeline`): as in
    the caller's events list, only with `appointments:read` and only those routed to it."""
    appointments = Appointment.objects.filter(lead=lead).filter(
        readable_by(workspace=workspace, family="appointment", owner="matched_workspace")
    )
    return [
        lead_timeline_item(
            "appointment",
            appointment.created_at,
            appointment.pk,
            f"{appointment.appointment_type} {appointment.status}",
            {
                "appointment_type": appointment.appointment_type,
                "status": appointment.status,
                "scheduled_at": appointment.scheduled_at.isoformat(),
                "duration_minutes": appointment.duration_minutes,
                "outcome": appointment.outcome,
            },
        )
        for appointment in appointments
    ]
