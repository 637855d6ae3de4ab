"""People. One contact per (webhook, normalised phone); a contact can have many leads."""
from decimal import Decimal

from django.db import models
from django.db.models.functions import Lower

from leadhub.models import MONEY, CreatedAtModel, TimeStampedModel, choices_constraint
from leadhub.validators import validate_json_object


class ConversionStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    CONVERTED = "converted", "Converted"
    REJECTED = "rejected", "Rejected"


class Contact(TimeStampedModel):
    webhook_id = models.CharField(max_length=100, db_index=True)
    phone = models.CharField(max_length=16, db_index=True, help_text="Normalised +1XXXXXXXXXX")
    first_name = models.CharField(max_length=100)
    last_name = models.CharField(max_length=100)
    email = models.EmailField(blank=True)
    address = models.CharField(max_length=255, blank=True)
    address2 = models.CharField(max_length=255, blank=True)
    city = models.CharField(max_length=100, blank=True)
    state = models.CharField(max_length=2, blank=True)
    zip_code = models.CharField(max_length=10, blank=True, db_index=True)
    sent_from_workspace = models.CharField(max_length=64, blank=True)
    converted_from_workspace = models.CharField(max_length=64, blank=True)
    conversion_status = models.CharField(
        max_length=20, choices=ConversionStatus.choices, default=ConversionStatus.PENDING
    )
    converted_timestamp = models.DateTimeField(null=True, blank=True)
    converted_by = models.CharField(max_length=255, blank=True)
    custom_metadata = models.JSONField(default=dict, blank=True, validators=[validate_json_object])
    lifetime_value = models.DecimalField(**MONEY, default=Decimal("0"))
    conversion_count = models.PositiveIntegerField(default=0)
    last_conversion_id = models.CharField(max_length=36, blank=True)
    qualification_score = models.FloatField(null=True, blank=True)
    # Set by contact_merge on the merged-away duplicate; ingest follows it to the survivor.
    # Always one hop: a merge re-points contacts that were merged into the merged-away one.
    merged_into = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="merged_from"
    )

    class Meta:
        db_table = "contacts"
        ordering = ["-id"]
        constraints = [
            models.UniqueConstraint(fields=["webhook_id", "phone"], name="contacts_webhook_phone_uniq"),
            choices_constraint("contacts", "conversion_status", ConversionStatus.choices),
        ]
        # Merge candidates are found by email whatever its case.
        indexes = [models.Index(Lower("email"), name="contacts_email_lower_idx")]

    def __str__(self):
        return f"{self.first_name} {self.last_name} ({self.phone})"


class ContactEvent(CreatedAtModel):
    # Open vocabulary (see the seed): these are the types written today.
    CREATED = "created"
    UPDATED = "updated"
    MERGED = "merged"

    contact = models.ForeignKey(Contact, on_delete=models.PROTECT, related_name="events")
    event_type = models.CharField(max_length=50, db_index=True)
    event_data = models.JSONField(default=dict, blank=True, validators=[validate_json_object])

    class Meta:
        db_table = "contact_events"
        ordering = ["-created_at", "-id"]

    def __str__(self):
        return f"{self.event_type} contact #{self.contact_id}"


class ContactPurge(CreatedAtModel):
    """Audit record of a data-deletion request. Holds ids and counts only, no personal data."""

    contact_id = models.BigIntegerField(db_index=True)
    reason = models.TextField()
    performed_by = models.CharField(max_length=255)
    deleted_counts = models.JSONField(default=dict, blank=True, validators=[validate_json_object])

    class Meta:
        db_table = "contact_purges"
        ordering = ["-created_at"]

    def __str__(self):
        return f"purge of contact #{self.contact_id}"
