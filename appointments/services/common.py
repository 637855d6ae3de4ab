"""What the appointment use cases share: the refusals, the result, the row locks and the checks
more than one of them makes.
"""
from dataclasses import dataclass, field

from appointments.intake import scheduled_at_problem
from appointments.models import Appointment
from appointments.selectors import appointment_overlaps
from contacts.models import Contact
from leadhub.errors import ServiceRefusal
from leads.models import Lead

# A lead in one of these is settled: an appointment may cover it but does not move it back.
CLOSED_LEAD_STATUSES = ("converted", "rejected", "lost")


class AppointmentError(ServiceRefusal):
    """A refused appointment write."""

    code = "validation"


class AppointmentInvalid(AppointmentError):
    @classmethod
    def from_errors(cls, errors):
        return cls(f"Invalid appointment data: {', '.join(sorted(errors))}.", errors=errors)


@dataclass(frozen=True)
class AppointmentResult:
    appointment: Appointment
    contact: Contact
    contact_status: str  # "new" | "existing"
    warnings: list = field(default_factory=list)
    ignored_fields: list = field(default_factory=list)  # sent but not honoured (a `workspace_id` not allowed)
    unknown_fields: list = field(default_factory=list)  # [{field, did_you_mean}]: sent, known by no field
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


def scheduled_at_check(value):
    """Refuse a time the appointment cannot have (appointments.intake.scheduled_at_problem)."""
    if value is not None and (problem := scheduled_at_problem(value)):
        raise AppointmentInvalid.from_errors({"scheduled_at": [problem]})


def leads_lock(leads) -> list:
    """These leads re-read under their row locks, in order: whether they are held is then true
    until this transaction ends (a release cannot slip in between). Only the leads are locked;
    their contacts, read with them, are not (`of`)."""
    if not leads:
        return []
    locked = Lead.objects.select_for_update(of=("self",)).select_related("contact").in_bulk([lead.pk for lead in leads])
    return [locked[lead.pk] for lead in leads]


def double_booking(appointment):
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


def appointment_lock(appointment):
    return Appointment.objects.select_for_update().get(pk=appointment.pk)
