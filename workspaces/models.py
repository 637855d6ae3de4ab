"""Tenants (workspaces), the rules that send work to them, and the outbound delivery outbox."""
import secrets
import zoneinfo
import uuid
import re
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator, RegexValidator
from django.db import models
from django.utils import timezone

from leadhub.models import MONEY, MONEY_TOTAL, TimeStampedModel, choices_constraint
from leadhub.netguard import is_own_ingest_url, outbound_url_check
from leadhub.validators import validate_json_object, validate_string_array
from workspaces.zips import ANY, parse_zip_entry


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
    OFFERS_WRITE = "offers:write", "Pause and resume offers"
    SUPPRESSIONS_READ = "suppressions:read", "Read your opt-out reports"
    SUPPRESSIONS_WRITE = "suppressions:write", "Report opt-outs"
    RETURNS_READ = "returns:read", "Read your lead returns"
    RETURNS_WRITE = "returns:write", "Return leads you bought"
    BILLING_READ = "billing:read", "Read balance and statements"


def validate_scopes(value):
    validate_string_array(value)
    unknown = sorted(set(value) - set(Scope.values))
    if unknown:
        raise ValidationError(
            f"Unknown scope(s): {', '.join(unknown)}. Allowed: {', '.join(Scope.values)}.", code="invalid_scope"
        )


def validate_time_zone(value):
    if value not in zoneinfo.available_timezones():
        raise ValidationError(f"'{value}' is not an IANA time zone (e.g. America/New_York).", code="invalid_time_zone")


def generate_signing_secret():
    """A fresh HMAC secret for signing outbound deliveries (kept in clear: it must sign)."""
    return f"whsec_{secrets.token_urlsafe(32)}"


class EventType(models.TextChoices):
    """Every event a workspace can subscribe to; `lead.forwarded` is a forwarding-rule delivery."""

    LEAD_ASSIGNED = "lead.assigned", "Lead assigned"
    LEAD_STATUS_CHANGED = "lead.status_changed", "Lead status changed"
    LEAD_FORWARDED = "lead.forwarded", "Lead forwarded"
    LEAD_SOLD = "lead.sold", "Lead sold (price, exclusive, offer)"
    LEAD_SUPPRESSED = "lead.suppressed", "Lead suppressed (its phone or email may no longer be contacted)"
    LEAD_RETURN_REQUESTED = "lead.return_requested", "Lead return requested"
    LEAD_RETURN_APPROVED = "lead.return_approved", "Lead return approved (credited)"
    LEAD_RETURN_REJECTED = "lead.return_rejected", "Lead return rejected"
    APPOINTMENT_CREATED = "appointment.created", "Appointment created"
    APPOINTMENT_UPDATED = "appointment.updated", "Appointment updated"
    APPOINTMENT_SOLD = "appointment.sold", "Appointment sold (price, offer)"
    CONVERSION_CREATED = "conversion.created", "Conversion created"
    CONVERSION_UPDATED = "conversion.updated", "Conversion updated"
    CONVERSION_VOIDED = "conversion.voided", "Conversion voided"
    WORKSPACE_BALANCE_LOW = "workspace.balance_low", "Balance fell below the low-balance threshold"


def validate_event_types(value):
    validate_string_array(value)
    unknown = sorted(set(value) - set(EventType.values))
    if unknown:
        raise ValidationError(
            f"Unknown event type(s): {', '.join(unknown)}. Allowed: {', '.join(EventType.values)}.",
            code="invalid_event_type",
        )


MANAGE_SECRETS = "workspaces.manage_workspace_secrets"


class BillingMode(models.TextChoices):
    """How a buyer pays: after the fact (`invoiced`), or from money paid in (`prepaid`: it buys
    only while its balance plus its credit limit covers the price)."""

    INVOICED = "invoiced", "Invoiced (owes after the fact)"
    PREPAID = "prepaid", "Prepaid (buys from its balance)"


class Workspace(TimeStampedModel):
    id = models.CharField(
        primary_key=True,
        max_length=64,
        validators=[RegexValidator(r"^[a-z0-9][a-z0-9_-]*$", "Lowercase letters, digits, - and _ only.")],
    )
    name = models.CharField(max_length=200)
    # HMAC-SHA256 digest of the key (never the key itself); NULL until a key is issued.
    api_key = models.CharField(max_length=64, unique=True, null=True, blank=True, editable=False)  # noqa: DJ001 NULL = none issued (unique)
    # The key before the last rotation, accepted until its grace ends (leadhub.keys).
    api_key_previous = models.CharField(max_length=64, null=True, blank=True, db_index=True, editable=False)  # noqa: DJ001 NULL = none issued (unique)
    api_key_previous_expires_at = models.DateTimeField(null=True, blank=True, editable=False)
    permissions = models.JSONField(default=list, blank=True, validators=[validate_scopes])
    is_active = models.BooleanField(default=True)
    outbound_webhook_url = models.URLField(max_length=500, blank=True)
    webhook_active = models.BooleanField(default=False)
    last_activity_at = models.DateTimeField(null=True, blank=True)
    total_conversions = models.PositiveIntegerField(default=0)
    total_revenue = models.DecimalField(**MONEY_TOTAL, default=Decimal("0"))
    metadata = models.JSONField(default=dict, blank=True, validators=[validate_json_object])
    # Do-not-call registry lists (suppression, kind `dnc`) apply to buyers that call consumers.
    # On for new buyers and for those made before: a buyer that does not call says so.
    calls_consumers = models.BooleanField(
        default=True, help_text="The buyer calls consumers: do-not-call registry lists apply to it.",
    )
    time_zone = models.CharField(
        max_length=64, default="UTC", validators=[validate_time_zone],
        help_text="IANA zone the buyer's offer schedules are read in (e.g. America/Chicago).",
    )
    billing_mode = models.CharField(max_length=10, choices=BillingMode.choices, default=BillingMode.INVOICED)
    credit_limit = models.DecimalField(
        **MONEY, default=Decimal("0"), validators=[MinValueValidator(Decimal("0"))],
        help_text="Prepaid: how far below zero its balance may go (its available funds are balance + this).",
    )
    low_balance_threshold = models.DecimalField(
        **MONEY, null=True, blank=True,
        help_text="When its balance falls below this, it is sent `workspace.balance_low` (once per crossing).",
    )
    # Outbound webhook (workspaces.delivery): the secret signs every delivery, so it is kept in
    # clear, never shown after it is issued; an empty event list subscribes to every type.
    webhook_secret = models.CharField(max_length=128, default=generate_signing_secret, editable=False)
    # During a rotation's grace deliveries carry a second `v1=` signature made with this one.
    webhook_secret_previous = models.CharField(max_length=128, null=True, blank=True, editable=False)  # noqa: DJ001 NULL = none issued (unique)
    webhook_secret_previous_expires_at = models.DateTimeField(null=True, blank=True, editable=False)
    webhook_events = models.JSONField(default=list, blank=True, validators=[validate_event_types])
    webhook_failure_streak = models.PositiveIntegerField(default=0, editable=False)
    webhook_disabled_reason = models.TextField(blank=True)
    webhook_disabled_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        db_table = "workspaces"
        ordering = ["id"]
        # Signing secrets and the outbound webhook URL decide where lead data goes and who can
        # forge deliveries: changing them takes more than `change_workspace`.
        permissions = [("manage_workspace_secrets", "Can rotate secrets and change the outbound webhook URL")]
        constraints = [choices_constraint("workspaces", "billing_mode", BillingMode.choices)]

    def __str__(self):
        return f"{self.name} ({self.id})"

    @property
    def webhook_switched_off(self) -> bool:
        """It has an outbound URL but its webhook is switched off (by ops, or disabled after failed
        deliveries): distribution sells it nothing (the engine's `buyer_webhook_off`), since no lead
        would reach it. Without a URL it reads its leads through the API and buys as usual."""
        return bool(self.outbound_webhook_url) and (not self.webhook_active or self.webhook_disabled_at is not None)

    def has_scope(self, scope):
        return scope in (self.permissions or [])

    def clean(self):
        try:
            outbound_url_check(self.outbound_webhook_url)
        except ValidationError as exc:
            raise ValidationError({"outbound_webhook_url": exc.messages}) from None


def validate_zip_entries(value):
    validate_string_array(value)
    errors = []
    for entry in value:
        try:
            parse_zip_entry(entry)
        except ValueError as exc:
            errors.append(str(exc))
    if errors:
        raise ValidationError(" ".join(errors), code="invalid_zip_entry")


class AppointmentRoutingRule(TimeStampedModel):
    """Serve `zip_codes` × `product_types` (an empty list means any). The higher `priority` wins.

    A rule is an input of the one eligibility engine: `distribution.receivers` keeps one offer
    per rule equal to it (products, ZIP entries, priority, switch and age), and appointments and
    leads are matched against that offer's indexed rows. Write rules through `save()` (the
    service `workspaces.services.routing_rule_save`, the admin, `objects.create`), never
    `update()`, so the offer follows.
    """

    workspace = models.ForeignKey(
        Workspace, on_delete=models.CASCADE, db_column="workspace_id", related_name="routing_rules"
    )
    product_types = models.JSONField(default=list, blank=True, validators=[validate_string_array])
    zip_codes = models.JSONField(default=list, blank=True, validators=[validate_zip_entries])
    priority = models.PositiveIntegerField(
        default=1, validators=[MinValueValidator(1)], help_text="Higher wins: a priority 5 rule beats priority 1."
    )
    is_active = models.BooleanField(default=True)
    created_by = models.CharField(max_length=255, blank=True)
    notes = models.TextField(blank=True)

    class Meta:
        db_table = "appointment_routing_rules"
        ordering = ["-priority", "created_at", "id"]
        indexes = [models.Index(fields=["is_active", "priority"], name="routing_active_priority_idx")]

    def __str__(self):
        return f"rule #{self.pk} → {self.workspace_id} (priority {self.priority})"


# --- Outbound delivery (outbox) and lead forwarding rules: see workspaces.delivery ------------


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    DELIVERED = "delivered", "Delivered"
    FAILED = "failed", "Failed"
    SKIPPED = "skipped", "Skipped (webhook off)"
    HELD = "held", "Held (its lead is held: sent when released)"
    WAITING = "waiting", "Waiting for the consumer's calling window (sent when it opens)"
    REFUSED = "refused", "Refused when due (the lead may no longer reach this workspace)"


class AttemptOutcome(models.TextChoices):
    DELIVERED = "delivered", "Delivered"
    RETRY = "retry", "Retry scheduled"
    FAILED = "failed", "Failed"


class ForwardingMode(models.TextChoices):
    FIRST_MATCH = "first-match", "First match (next rule if delivery finally fails)"
    ALL_MATCHES = "all-matches", "All matches"


class LeadForwardingConfig(TimeStampedModel):
    """The per-inbound-webhook switch and mode for lead forwarding rules."""

    webhook_id = models.CharField(max_length=100, unique=True)
    is_enabled = models.BooleanField(default=True)
    mode = models.CharField(max_length=20, choices=ForwardingMode.choices, default=ForwardingMode.FIRST_MATCH)

    class Meta:
        db_table = "lead_forwarding_configs"
        ordering = ["webhook_id"]
        constraints = [choices_constraint("lead_forwarding_configs", "mode", ForwardingMode.choices)]

    def __str__(self):
        return f"forwarding for {self.webhook_id} ({self.mode}{'' if self.is_enabled else ', off'})"


class LeadForwardingRule(TimeStampedModel):
    """Send copies of accepted leads of one inbound webhook to an external URL.

    A rule to a `target_workspace` sends no lead: it only lists the workspace as a direct target
    of the webhook, whose appointments may then name it (`selectors.webhook_targets_workspace`).
    Leads go to a workspace through its lead offers, at a price; the lead offers such rules once
    stood for were made plain offers by distribution migration 0006.

    `webhook_id` is the inbound webhook's text id (providers sit beside workspaces, so no foreign
    key). Product, ZIP and state lists accept `*` (or an empty list) for "any"; ZIP entries may be
    exact, a range `90210-90299` or a prefix `902*`. Higher `priority` is tried first, then the
    oldest rule. The counters are kept by the delivery module (F() updates).
    """

    webhook_id = models.CharField(max_length=100, db_index=True)
    name = models.CharField(max_length=200, blank=True)
    priority = models.PositiveIntegerField(default=1, validators=[MinValueValidator(1)])
    product_types = models.JSONField(default=list, blank=True, validators=[validate_string_array])
    zip_codes = models.JSONField(default=list, blank=True, validators=[validate_string_array])
    states = models.JSONField(default=list, blank=True, validators=[validate_string_array])
    target_workspace = models.ForeignKey(
        Workspace, on_delete=models.PROTECT, null=True, blank=True, related_name="forwarding_rules"
    )
    target_url = models.URLField(max_length=500, blank=True)
    signing_secret = models.CharField(max_length=128, default=generate_signing_secret, editable=False)
    is_active = models.BooleanField(default=True)
    forwarded_count = models.PositiveIntegerField(default=0, editable=False)
    failed_count = models.PositiveIntegerField(default=0, editable=False)
    last_delivered_at = models.DateTimeField(null=True, blank=True, editable=False)
    last_failed_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        db_table = "lead_forwarding_rules"
        ordering = ["webhook_id", "-priority", "id"]
        indexes = [models.Index(fields=["webhook_id", "is_active", "priority"], name="fwd_rule_webhook_idx")]
        constraints = [
            models.CheckConstraint(
                condition=(models.Q(target_workspace__isnull=False) & models.Q(target_url=""))
                | (models.Q(target_workspace__isnull=True) & ~models.Q(target_url="")),
                name="lead_forwarding_rules_one_target",
            )
        ]

    def __str__(self):
        target = self.target_workspace_id or self.target_url
        return f"{self.webhook_id} → {target} (priority {self.priority})"

    def clean(self):
        errors = {}
        if bool(self.target_workspace_id) == bool(self.target_url):
            errors["target_url"] = ["Give either a target workspace or an external URL, not both."]
        elif self.target_url and is_own_ingest_url(self.target_url):
            errors["target_url"] = ["This is leadhub's own ingest URL: forwarding there would loop."]
        elif self.target_url:
            try:
                outbound_url_check(self.target_url)
            except ValidationError as exc:
                errors["target_url"] = exc.messages
        zip_errors = []
        for entry in self.zip_codes or []:
            try:
                parse_zip_entry(entry)
            except ValueError as exc:
                zip_errors.append(str(exc))
        if zip_errors:
            errors["zip_codes"] = zip_errors
        bad_states = [s for s in self.states or [] if s.strip() != ANY and not re.fullmatch(r"[A-Za-z]{2}", s.strip())]
        if bad_states:
            errors["states"] = [f"Use 2-letter state codes or *: {', '.join(bad_states)}."]
        if errors:
            raise ValidationError(errors)


class LeadCopy(models.Model):
    """A forwarding rule's copy of one lead was queued: at most one per (rule, lead), ever. The
    unique row is claimed in the transaction that queues the copy (`workspaces.delivery.
    outbox_emit_to_rule`), so ingest, a hold's release, "distribute again", the unsold retry and
    a first-match fallback, however often and concurrently they run, send a rule one copy.
    `lead_id` is a plain number: leads sit above workspaces."""

    forwarding_rule = models.ForeignKey(LeadForwardingRule, on_delete=models.CASCADE, related_name="copies")
    lead_id = models.BigIntegerField()
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        db_table = "lead_copies"
        constraints = [models.UniqueConstraint(fields=["forwarding_rule", "lead_id"], name="lead_copies_once")]

    def __str__(self):
        return f"lead {self.lead_id} → rule #{self.forwarding_rule_id}"


class OutboundEvent(models.Model):
    """One outbox row: written in the transaction of the service that caused the event, then
    delivered (and retried) by workspaces.delivery. The UUID is the envelope id receivers dedupe on.

    `contact_id` is a plain indexed number (not a foreign key) so a contact purge removes the
    payloads about that person with one delete; `subject_*` say which row the event is about.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    event_type = models.CharField(max_length=50, choices=EventType.choices, db_index=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)
    workspace = models.ForeignKey(
        Workspace, on_delete=models.CASCADE, null=True, blank=True, related_name="outbound_events"
    )
    forwarding_rule = models.ForeignKey(
        LeadForwardingRule, on_delete=models.SET_NULL, null=True, blank=True, related_name="events"
    )
    target_url = models.URLField(max_length=500)
    # A row for no workspace and no rule (a lead source's postback): "<kind>:<id>", resolved to its
    # URL and signing secret at each attempt through workspaces.delivery.OUTBOUND_TARGETS.
    target_ref = models.CharField(max_length=150, blank=True)
    data = models.JSONField(default=dict, blank=True)
    status = models.CharField(max_length=20, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    # When the next attempt is due; while an attempt is in flight it is the claim's expiry, so a
    # killed worker's event becomes due again by itself.
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    # Set when a delivery task was handed to the broker; the sweeper re-enqueues only rows whose
    # task is missing or stale, so a broker backlog does not fill with duplicates.
    enqueued_at = models.DateTimeField(null=True, blank=True)
    last_attempt_at = models.DateTimeField(null=True, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    last_status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    last_response = models.TextField(blank=True)
    contact_id = models.BigIntegerField(null=True, blank=True, db_index=True)
    subject_type = models.CharField(max_length=30, blank=True)
    subject_id = models.CharField(max_length=64, blank=True)
    # first-match forwarding: the rules still to try, in order, if this delivery finally fails.
    fallback_rule_ids = models.JSONField(default=list, blank=True)
    # The workspace no longer holds the subject (its lead access was revoked): the partner no
    # longer reads the event, and it is never sent (again); ops still see it.
    withdrawn_at = models.DateTimeField(null=True, blank=True)
    # A delivery to a buyer that calls consumers: it leaves only inside the consumer's calling
    # window (`waiting` until then, retries and "send again" too); `not_before` is when it may
    # leave, `wait_reason` why it waits (or why it was refused when due).
    calling_window = models.BooleanField(default=False)
    not_before = models.DateTimeField(null=True, blank=True)
    wait_reason = models.TextField(blank=True)

    class Meta:
        db_table = "outbound_events"
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["status", "next_attempt_at"], name="outbound_due_idx"),
            models.Index(fields=["workspace", "-created_at"], name="outbound_workspace_idx"),
            models.Index(fields=["subject_type", "subject_id"], name="outbound_subject_idx"),
        ]
        constraints = [
            choices_constraint("outbound_events", "status", DeliveryStatus.choices),
        ]

    def __str__(self):
        return f"{self.event_type} {self.id} → {self.workspace_id or self.target_url} ({self.status})"

    def envelope(self):
        """The JSON body sent: `{id, type, created_at, data}`."""
        return {"id": str(self.id), "type": self.event_type, "created_at": self.created_at.isoformat(), "data": self.data}


class DeliveryAttempt(models.Model):
    """One HTTP attempt of an outbound event: what came back and how long it took."""

    RESPONSE_LIMIT = 2048

    event = models.ForeignKey(OutboundEvent, on_delete=models.CASCADE, related_name="attempt_log")
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    target_url = models.URLField(max_length=500)
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    latency_ms = models.PositiveIntegerField(default=0)
    response_body = models.TextField(blank=True)
    error = models.TextField(blank=True)
    outcome = models.CharField(max_length=20, choices=AttemptOutcome.choices)

    class Meta:
        db_table = "outbound_delivery_attempts"
        ordering = ["-created_at", "-id"]
        constraints = [choices_constraint("outbound_delivery_attempts", "outcome", AttemptOutcome.choices)]

    def __str__(self):
        return f"{self.outcome} {self.status_code or self.error[:40]} ({self.latency_ms} ms)"
