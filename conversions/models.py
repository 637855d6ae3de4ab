"""Conversions: the revenue events a workspace reports against a contact (and maybe a lead)."""
import uuid
from decimal import Decimal

from django.core.validators import MinValueValidator, RegexValidator
from django.db import models
from django.utils import timezone

from leadhub.models import CreatedAtModel, TimeStampedModel, choices_constraint
from leadhub.validators import validate_json_object


class ConversionType(models.TextChoices):
    SALE = "sale", "Sale"
    APPOINTMENT = "appointment", "Appointment"
    QUALIFIED = "qualified", "Qualified"
    PROPOSAL = "proposal", "Proposal"
    CONTRACT = "contract", "Contract"


class Conversion(TimeStampedModel):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    contact = models.ForeignKey("contacts.Contact", on_delete=models.PROTECT, related_name="conversions")
    lead = models.ForeignKey(
        "leads.Lead", on_delete=models.PROTECT, null=True, blank=True, related_name="conversions"
    )
    workspace = models.ForeignKey(
        "workspaces.Workspace",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        db_column="workspace_id",
        related_name="conversions",
    )
    converted_by = models.CharField(max_length=255, blank=True)
    converted_at = models.DateTimeField(default=timezone.now, db_index=True)
    conversion_type = models.CharField(max_length=20, choices=ConversionType.choices)
    conversion_value = models.DecimalField(
        max_digits=14, decimal_places=2, default=Decimal("0"), validators=[MinValueValidator(Decimal("0"))]
    )
    currency = models.CharField(
        max_length=3, default="USD", validators=[RegexValidator(r"^[A-Z]{3}$", "ISO 4217 code, e.g. USD.")]
    )
    custom_data = models.JSONField(default=dict, blank=True, validators=[validate_json_object])
    # A voided conversion is kept for the audit trail but no longer counts in any aggregate.
    voided_at = models.DateTimeField(null=True, blank=True, db_index=True)
    voided_by = models.CharField(max_length=255, blank=True)
    void_reason = models.TextField(blank=True)

    class Meta:
        db_table = "conversions"
        ordering = ["-converted_at"]
        constraints = [
            choices_constraint("conversions", "conversion_type", ConversionType.choices),
            models.CheckConstraint(condition=models.Q(conversion_value__gte=0), name="conversions_value_non_negative"),
        ]

    def __str__(self):
        return f"{self.conversion_type} {self.conversion_value} {self.currency}"


class ConversionEvent(CreatedAtModel):
    CREATED = "created"
    STATUS_CHANGE = "status_change"
    VALUE_UPDATE = "value_update"
    NOTE_ADDED = "note_added"

    conversion = models.ForeignKey(
        Conversion, on_delete=models.PROTECT, db_column="conversion_id", related_name="events"
    )
    event_type = models.CharField(max_length=50, db_index=True)
    event_data = models.JSONField(default=dict, blank=True, validators=[validate_json_object])
    created_by = models.CharField(max_length=255, blank=True)

    class Meta:
        db_table = "conversion_events"
        ordering = ["-created_at", "-id"]

    def __str__(self):
        return f"{self.event_type} conversion {self.conversion_id}"
