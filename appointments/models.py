"""Appointments: scheduled meetings with a contact, routed and forwarded to a workspace."""
from django.core.validators import MinValueValidator
from django.db import models

from leadhub.models import MONEY, CreatedAtModel, TimeStampedModel, choices_constraint
from leadhub.validators import validate_json_object


class AppointmentType(models.TextChoices):
    CONSULTATION = "consultation", "Consultation"
    ESTIMATE = "estimate", "Estimate"
    INSTALLATION = "installation", "Installation"
    FOLLOW_UP = "follow_up", "Follow-up"


class AppointmentStatus(models.TextChoices):
    SCHEDULED = "scheduled", "Scheduled"
    CONFIRMED = "confirmed", "Confirmed"
    COMPLETED = "completed", "Completed"
    CANCELLED = "cancelled", "Cancelled"
    NO_SHOW = "no_show", "No show"
    RESCHEDULED = "rescheduled", "Rescheduled"


class LocationType(models.TextChoices):
    HOME = "home", "Home"
    OFFICE = "office", "Office"
    PHONE = "phone", "Phone"
    VIDEO = "video", "Video"


class Outcome(models.TextChoices):
    QUALIFIED = "qualified", "Qualified"
    NOT_INTERESTED = "not_interested", "Not interested"
    NEEDS_FOLLOW_UP = "needs_follow_up", "Needs follow-up"
    PROPOSAL_SENT = "proposal_sent", "Proposal sent"


class ForwardStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    COMPLETED = "completed", "Completed"
    FAILED = "failed", "Failed"
    WAITING = "waiting", "Waiting (a lead it covers is held: routed when released)"
    API = "api", "Read through the API (no outbound URL)"


class Appointment(TimeStampedModel):
    lead = models.ForeignKey(
        "leads.Lead", on_delete=models.PROTECT, null=True, blank=True, related_name="appointments"
    )
    contact = models.ForeignKey("contacts.Contact", on_delete=models.PROTECT, related_name="appointments")
    appointment_type = models.CharField(
        max_length=20, choices=AppointmentType.choices, default=AppointmentType.CONSULTATION
    )
    scheduled_at = models.DateTimeField(db_index=True)
    duration_minutes = models.PositiveIntegerField(default=60, validators=[MinValueValidator(1)])
    status = models.CharField(
        max_length=20, choices=AppointmentStatus.choices, default=AppointmentStatus.SCHEDULED, db_index=True
    )
    location_type = models.CharField(max_length=10, choices=LocationType.choices, default=LocationType.HOME)
    location_address = models.CharField(max_length=500, blank=True)
    notes = models.TextField(blank=True)
    customer_notes = models.TextField(blank=True)
    assigned_to = models.CharField(max_length=255, blank=True, db_index=True)
    outcome = models.CharField(max_length=20, choices=Outcome.choices, blank=True)
    next_action = models.CharField(max_length=255, blank=True)
    next_action_date = models.DateTimeField(null=True, blank=True, db_index=True)
    created_by = models.CharField(max_length=255, blank=True)
    customer_name = models.CharField(max_length=200, blank=True)
    customer_phone = models.CharField(max_length=16, blank=True, db_index=True)
    customer_email = models.EmailField(blank=True)
    service_type = models.CharField(max_length=100, blank=True)
    customer_zip = models.CharField(max_length=10, blank=True, db_index=True)
    estimated_value = models.DecimalField(**MONEY, null=True, blank=True)
    matched_workspace = models.ForeignKey(
        "workspaces.Workspace",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        db_column="matched_workspace_id",
        related_name="appointments",
    )
    leads = models.ManyToManyField(
        "leads.Lead", through="AppointmentLead", related_name="covering_appointments", blank=True
    )
    # Human-readable: which rule matched and why, or who named the workspace.
    routing_method = models.CharField(max_length=255, blank=True)
    forwarded_at = models.DateTimeField(null=True, blank=True)
    forward_status = models.CharField(max_length=20, choices=ForwardStatus.choices, blank=True)
    forward_response = models.TextField(blank=True)
    forward_attempts = models.PositiveIntegerField(default=0)
    raw_payload = models.JSONField(default=dict, blank=True)

    class Meta:
        db_table = "appointments"
        ordering = ["-scheduled_at", "-id"]
        constraints = [
            choices_constraint("appointments", "appointment_type", AppointmentType.choices),
            choices_constraint("appointments", "status", AppointmentStatus.choices),
            choices_constraint("appointments", "location_type", LocationType.choices),
            choices_constraint("appointments", "outcome", Outcome.choices, allow_blank=True),
            choices_constraint("appointments", "forward_status", ForwardStatus.choices, allow_blank=True),
        ]
        # Double-booking check: one rep's appointments around a time.
        indexes = [models.Index(fields=["assigned_to", "scheduled_at"], name="appointments_rep_time_idx")]

    def __str__(self):
        return f"appointment #{self.pk} {self.appointment_type} at {self.scheduled_at:%Y-%m-%d %H:%M}"


class UnroutedAppointment(Appointment):
    """Appointments no rule matched: their own admin list, where ops route them by hand."""

    class Meta:
        proxy = True
        verbose_name = "unrouted appointment"


class AppointmentLead(CreatedAtModel):
    """Every lead an appointment covers (the primary `lead` too); all of the appointment's contact."""

    appointment = models.ForeignKey(Appointment, on_delete=models.CASCADE, related_name="lead_links")
    lead = models.ForeignKey("leads.Lead", on_delete=models.PROTECT, related_name="appointment_links")

    class Meta:
        db_table = "appointment_leads"
        constraints = [
            models.UniqueConstraint(fields=["appointment", "lead"], name="appointment_leads_uniq"),
        ]

    def __str__(self):
        return f"appointment #{self.appointment_id} covers lead #{self.lead_id}"


class AppointmentEvent(CreatedAtModel):
    CREATED = "created"
    CONFIRMED = "confirmed"
    RESCHEDULED = "rescheduled"
    CANCELLED = "cancelled"
    COMPLETED = "completed"
    NO_SHOW = "no_show"
    UPDATED = "updated"
    ROUTED = "routed"
    FORWARDED = "forwarded"

    appointment = models.ForeignKey(Appointment, on_delete=models.PROTECT, related_name="events")
    event_type = models.CharField(max_length=50, db_index=True)
    old_value = models.TextField(blank=True)
    new_value = models.TextField(blank=True)
    event_data = models.JSONField(default=dict, blank=True, validators=[validate_json_object])
    created_by = models.CharField(max_length=255, blank=True)
    metadata = models.JSONField(default=dict, blank=True, validators=[validate_json_object])

    class Meta:
        db_table = "appointment_events"
        ordering = ["-created_at", "-id"]

    def __str__(self):
        return f"{self.event_type} appointment #{self.appointment_id}"
