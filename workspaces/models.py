"""Tenants (workspaces) and the ZIP/product rules that route work to them."""
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator, RegexValidator
from django.db import models

from leadhub.models import TimeStampedModel
from leadhub.validators import validate_json_object, validate_string_array


class Scope(models.TextChoices):
    """What a workspace API key may do; each partner endpoint requires one of these."""

    LEADS_READ = "leads:read", "Read leads"
    LEADS_WRITE = "leads:write", "Write leads"
    CONTACTS_READ = "contacts:read", "Read contacts"
    APPOINTMENTS_READ = "appointments:read", "Read appointments"
    APPOINTMENTS_WRITE = "appointments:write", "Write appointments"
    CONVERSIONS_READ = "conversions:read", "Read conversions"
    CONVERSIONS_WRITE = "conversions:write", "Write conversions"
    ANALYTICS_READ = "analytics:read", "Read analytics"


def validate_scopes(value):
    validate_string_array(value)
    unknown = sorted(set(value) - set(Scope.values))
    if unknown:
        raise ValidationError(
            f"Unknown scope(s): {', '.join(unknown)}. Allowed: {', '.join(Scope.values)}.", code="invalid_scope"
        )


class Workspace(TimeStampedModel):
    id = models.CharField(
        primary_key=True,
        max_length=64,
        validators=[RegexValidator(r"^[a-z0-9][a-z0-9_-]*$", "Lowercase letters, digits, - and _ only.")],
    )
    name = models.CharField(max_length=200)
    # HMAC-SHA256 digest of the key (never the key itself); NULL until a key is issued.
    api_key = models.CharField(max_length=64, unique=True, null=True, blank=True, editable=False)
    permissions = models.JSONField(default=list, blank=True, validators=[validate_scopes])
    is_active = models.BooleanField(default=True)
    outbound_webhook_url = models.URLField(max_length=500, blank=True)
    webhook_active = models.BooleanField(default=False)
    last_activity_at = models.DateTimeField(null=True, blank=True)
    total_conversions = models.PositiveIntegerField(default=0)
    total_revenue = models.DecimalField(max_digits=14, decimal_places=2, default=Decimal("0"))
    metadata = models.JSONField(default=dict, blank=True, validators=[validate_json_object])

    class Meta:
        db_table = "workspaces"
        ordering = ["id"]

    def __str__(self):
        return f"{self.name} ({self.id})"

    def has_scope(self, scope):
        return scope in (self.permissions or [])


class AppointmentRoutingRule(TimeStampedModel):
    workspace = models.ForeignKey(
        Workspace, on_delete=models.CASCADE, db_column="workspace_id", related_name="routing_rules"
    )
    product_types = models.JSONField(default=list, blank=True, validators=[validate_string_array])
    zip_codes = models.JSONField(default=list, blank=True, validators=[validate_string_array])
    priority = models.PositiveIntegerField(default=1, validators=[MinValueValidator(1)])
    is_active = models.BooleanField(default=True)
    created_by = models.CharField(max_length=255, blank=True)
    notes = models.TextField(blank=True)

    class Meta:
        db_table = "appointment_routing_rules"
        ordering = ["priority", "id"]
        indexes = [models.Index(fields=["is_active", "priority"], name="routing_active_priority_idx")]

    def __str__(self):
        return f"rule #{self.pk} → {self.workspace_id} (priority {self.priority})"
