"""Conversions: the revenue events a workspace reports against a contact (and maybe a lead)."""
import uuid
from decimal import Decimal

from django.core.validators import MinValueValidator, RegexValidator
from django.db import models
from django.utils import timezone

from leadhub.models import MONEY, CreatedAtModel, TimeStampedModel, choices_constraint
from leadhub.validators import validate_json_object


ISO_4217 = RegexValidator(r"^[A-Z]{3}$", "ISO 4217 code, e.g. USD.")
USD = "USD"


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
    # The recording workspace's hold on the lead: conversions count per (lead, workspace).
    lead_access = models.ForeignKey(
        "leads.LeadAccess", on_delete=models.PROTECT, null=True, blank=True, related_name="conversions"
    )
    converted_by = models.CharField(max_length=255, blank=True)
    converted_at = models.DateTimeField(default=timezone.now, db_index=True)
    conversion_type = models.CharField(max_length=20, choices=ConversionType.choices)
    conversion_value = models.DecimalField(
        **MONEY, default=Decimal("0"), validators=[MinValueValidator(Decimal("0"))]
    )
    currency = models.CharField(
        max_length=3, default="USD", validators=[ISO_4217]
    )
    # As reported by the workspace. `conversion_value`/`currency` hold the USD amount every
    # aggregate sums: original_value × exchange_rate (the rate of the `converted_at` date).
    original_value = models.DecimalField(
        **MONEY, default=Decimal("0"), validators=[MinValueValidator(Decimal("0"))]
    )
    original_currency = models.CharField(max_length=3, default="USD", validators=[ISO_4217])
    exchange_rate = models.DecimalField(max_digits=18, decimal_places=8, default=Decimal("1"))
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


class CurrencyRate(TimeStampedModel):
    """USD value of one unit of `currency` on `date` (UTC), kept by ops in the admin.

    A rate holds from its date until the next rate of that currency: a conversion reported in
    another currency is valued at the latest rate dated on or before its `converted_at` day, and
    refused when there is none (never guessed from a later rate).
    """

    currency = models.CharField(max_length=3, validators=[ISO_4217])
    date = models.DateField()
    usd_rate = models.DecimalField(
        max_digits=18, decimal_places=8, validators=[MinValueValidator(Decimal("0.00000001"))],
        help_text="USD per one unit of the currency, e.g. 1.08 for EUR.",
    )
    updated_by = models.CharField(max_length=255, blank=True)

    class Meta:
        db_table = "currency_rates"
        ordering = ["-date", "currency"]
        constraints = [
            models.UniqueConstraint(fields=["currency", "date"], name="currency_rates_currency_date_uniq"),
            models.CheckConstraint(condition=models.Q(usd_rate__gt=0), name="currency_rates_rate_positive"),
            models.CheckConstraint(condition=~models.Q(currency=USD), name="currency_rates_not_usd"),
        ]

    def __str__(self):
        return f"1 {self.currency} = {self.usd_rate} USD on {self.date}"


class ConversionIdempotencyKey(CreatedAtModel):
    """An `Idempotency-Key` a workspace sent with `POST /api/v1/conversions/`.

    The row is inserted before the conversion in the same transaction, so a concurrent request
    with the same key waits on the unique index and then sees the first one's outcome.
    `fingerprint` is a hash of the request body: same key + same body replays, else 409.
    """

    workspace = models.ForeignKey(
        "workspaces.Workspace", on_delete=models.CASCADE, db_column="workspace_id", related_name="+"
    )
    key = models.CharField(max_length=255)
    fingerprint = models.CharField(max_length=64)
    # Null inside the creating transaction (between the key and the conversion insert), and after
    # a contact purge deleted the conversion: the key stays used, so a replay is refused, not redone.
    conversion = models.ForeignKey(
        Conversion, on_delete=models.SET_NULL, null=True, related_name="idempotency_keys"
    )

    class Meta:
        db_table = "conversion_idempotency_keys"
        constraints = [
            models.UniqueConstraint(fields=["workspace", "key"], name="conversion_idem_workspace_key_uniq"),
        ]

    def __str__(self):
        return f"{self.workspace_id}:{self.key}"
