"""Leads (one campaign interest of a contact), their audit trail and the sales pipeline."""
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone

from leadhub.choices import LeadType
from leadhub.models import MONEY, CreatedAtModel, TimeStampedModel, choices_constraint
from leadhub.validators import validate_json_object, validate_string_array
from leads.duplicate_keys import keys_parse

MONEY_OR_NULL = {**MONEY, "null": True, "blank": True}


class WorkspaceStatus(models.TextChoices):
    ASSIGNED = "assigned", "Assigned"
    ACCEPTED = "accepted", "Accepted"
    REJECTED = "rejected", "Rejected"
    CONVERTED = "converted", "Converted"


class LeadPipelineStage(CreatedAtModel):
    """Configurable lead statuses; `leads.status` must name an active stage."""

    name = models.CharField(max_length=50, unique=True)
    description = models.TextField(blank=True)
    order_index = models.PositiveIntegerField(default=0)
    is_active = models.BooleanField(default=True)

    class Meta:
        db_table = "lead_pipeline_stages"
        ordering = ["order_index", "name"]

    def __str__(self):
        return self.name


# The stage every lead and every access record starts in (a stage of 0002_default_pipeline_stages,
# which the stage admin keeps active).
ENTRY_STAGE = "new"


def validate_pipeline_status(value):
    if not LeadPipelineStage.objects.filter(name=value, is_active=True).exists():
        raise ValidationError(f"'{value}' is not an active pipeline stage.", code="invalid_status")


CONSENT_FLAGS = ("consent_value", "tcpa_compliance")


def consent_missing(values) -> list[str]:
    """The consent flags that are not true in `values` (a cleaned post, or a lead's fields)."""
    return [name for name in CONSENT_FLAGS if not values.get(name)]


def consent_hold_message(missing) -> str | None:
    """What a consent hold says (the answer's `held_reason`, the hold's message); None: nothing missing."""
    if not missing:
        return None
    return (f"Held for consent: {' and '.join(missing)} not true. The lead is stored but not assigned or "
            "forwarded until consent is confirmed.")


class StateSource(models.TextChoices):
    POSTED = "posted", "posted"
    ZIP = "zip", "from the ZIP"


class Lead(TimeStampedModel):
    id = models.BigAutoField(primary_key=True)
    contact = models.ForeignKey("contacts.Contact", on_delete=models.PROTECT, related_name="leads")
    webhook_id = models.CharField(max_length=100, db_index=True)
    # The provider that posted it ("" for referrals and imports without one): plain text like
    # webhook_id, so per-provider analytics group the leads directly instead of joining every
    # lead's `received` event.
    provider_id = models.CharField(max_length=100, blank=True, default="")
    # The sender's own reference for the lead (`id`, `lead_id`, `external_id` or `reference` in a
    # payload), never its `id`: leadhub alone numbers leads. NULL when none was sent, so leads
    # without one never clash in the (webhook, provider, reference) unique constraint.
    external_id = models.CharField(max_length=100, null=True, blank=True)  # noqa: DJ001 NULL = none sent (unique)
    lead_type = models.CharField(max_length=20, choices=LeadType.choices)
    first_name = models.CharField(max_length=100)
    last_name = models.CharField(max_length=100)
    email = models.EmailField()
    phone = models.CharField(max_length=16)  # indexed with created_at (leads_phone_created_idx)
    phone_extension = models.CharField(max_length=10, blank=True, default="",
                                       help_text="The extension posted with the phone (x77, ext. 12).")
    phone_flags = models.JSONField(
        default=list, blank=True, validators=[validate_string_array],
        help_text="Notes on the number, for whoever dials it (they hold nothing): fictional_555, "
                  "n11_exchange, toll_free.",
    )
    address = models.CharField(max_length=255, blank=True)
    address2 = models.CharField(max_length=255, blank=True)
    city = models.CharField(max_length=100, blank=True)
    state = models.CharField(max_length=2, blank=True, db_index=True)
    zip_code = models.CharField(max_length=10, blank=True, db_index=True)
    state_source = models.CharField(
        max_length=10, choices=StateSource.choices, blank=True,
        help_text="Where the state came from: posted, or derived from the ZIP when none was posted; "
                  "empty = no state.",
    )
    state_conflicts_zip = models.BooleanField(
        "state conflicts with the ZIP", default=False,
        help_text="The posted state is not the ZIP's state: kept as posted, for ops to check.",
    )
    source = models.CharField(max_length=255, blank=True)
    campaign_id = models.CharField(max_length=255, blank=True)
    utm_source = models.CharField(max_length=255, blank=True)
    utm_medium = models.CharField(max_length=255, blank=True)
    utm_campaign = models.CharField(max_length=255, blank=True)
    subsource = models.CharField(max_length=255, blank=True)
    landing_page_url = models.CharField(max_length=2048, blank=True)
    productid = models.CharField(max_length=100, blank=True)
    monthly_electric_bill = models.DecimalField(**MONEY_OR_NULL)
    property_type = models.CharField(max_length=50, blank=True)
    roof_condition = models.CharField(max_length=50, blank=True)
    roof_age = models.PositiveIntegerField(null=True, blank=True)
    shade_coverage = models.CharField(max_length=50, blank=True)
    system_type = models.CharField(max_length=50, blank=True)
    system_age = models.PositiveIntegerField(null=True, blank=True)
    service_type = models.CharField(max_length=100, blank=True)
    urgency = models.CharField(max_length=50, blank=True)
    property_size = models.PositiveIntegerField(null=True, blank=True)
    policy_type = models.CharField(max_length=50, blank=True)
    coverage_amount = models.DecimalField(**MONEY_OR_NULL)
    current_premium = models.DecimalField(**MONEY_OR_NULL)
    property_value = models.DecimalField(**MONEY_OR_NULL)
    claims_history = models.TextField(blank=True)
    consent_description = models.TextField(blank=True)
    consent_value = models.BooleanField(default=False)
    tcpa_compliance = models.BooleanField(default=False)
    # Derived from the lead's live holds (`lead_holds`, written only by leads.holds): whether one
    # of them is the `consent` hold (the seed's column, kept for its readers), and the codes of
    # all of them, comma-separated ("" = not held), read with the lead's row by the gate
    # (leads.gate.lead_gate) so no path pays a join to learn whether the lead may leave.
    held_for_consent = models.BooleanField(default=False, db_index=True)
    hold_reasons = models.CharField(max_length=200, blank=True, default="")
    # Buyers this lead may never be sold to again (a delivery that finally failed; returns later):
    # read with the lead's row by distribution, so excluding costs the engine no query.
    excluded_buyers = models.JSONField(default=list, blank=True)
    # Why the source is not paid for this lead (a duplicate rule's `accept_no_payout`: a source is
    # not paid twice for one person); "" = paid by its webhook's terms. Read with the lead's row
    # by the sale path, which books no source payout for it.
    payout_withheld = models.CharField(max_length=255, blank=True, default="")
    raw_payload = models.JSONField(default=dict, blank=True)
    # The consumer's, as the post says (buyers see them); the posting server's are `source_*`,
    # for ops only: a buyer claims consent with the person's browser, not the sender's server.
    ip_address = models.CharField(max_length=45, blank=True)
    user_agent = models.CharField(max_length=512, blank=True)
    source_ip = models.CharField(max_length=45, blank=True)
    source_user_agent = models.CharField(max_length=512, blank=True)
    # Consent evidence as posted (leads.consent_evidence: its forms); a value kept though not of
    # its form is named in `evidence_invalid` ({column: why}), so no buyer takes it for proof.
    trustedform_cert_url = models.CharField(max_length=500, blank=True)
    jornaya_leadid = models.CharField(max_length=100, blank=True)
    evidence_invalid = models.JSONField(default=dict, blank=True)
    processed_at = models.DateTimeField(null=True, blank=True)
    status = models.CharField(max_length=50, default=ENTRY_STAGE, db_index=True, validators=[validate_pipeline_status])
    status_changed_at = models.DateTimeField(null=True, blank=True)
    status_changed_by = models.CharField(max_length=255, blank=True)
    notes = models.TextField(blank=True)
    priority = models.PositiveSmallIntegerField(
        default=1, validators=[MinValueValidator(1), MaxValueValidator(5)]
    )
    assigned_to = models.CharField(max_length=255, blank=True, db_index=True)
    follow_up_date = models.DateTimeField(null=True, blank=True, db_index=True)
    contact_attempts = models.PositiveIntegerField(default=0)
    conversion_score = models.FloatField(null=True, blank=True)
    revenue_potential = models.DecimalField(**MONEY_OR_NULL)
    workspace = models.ForeignKey(
        "workspaces.Workspace",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        db_column="workspace_id",
        related_name="leads",
    )
    conversion_id = models.CharField(max_length=36, blank=True)
    conversion_metadata = models.JSONField(default=dict, blank=True, validators=[validate_json_object])
    workspace_assigned_at = models.DateTimeField(null=True, blank=True)
    workspace_status = models.CharField(max_length=20, choices=WorkspaceStatus.choices, blank=True)

    class Meta:
        db_table = "leads"
        ordering = ["-id"]
        constraints = [
            choices_constraint("leads", "lead_type", LeadType.choices),
            choices_constraint("leads", "workspace_status", WorkspaceStatus.choices, allow_blank=True),
            choices_constraint("leads", "state_source", StateSource.choices, allow_blank=True),
            models.CheckConstraint(condition=models.Q(priority__gte=1, priority__lte=5), name="leads_priority_1_5"),
            # Also the index of the replay lookup at ingest.
            models.UniqueConstraint(
                fields=["webhook_id", "provider_id", "external_id"], name="leads_webhook_provider_external_id_uniq"
            ),
        ]
        indexes = [
            models.Index(fields=["webhook_id", "created_at"], name="leads_webhook_created_idx"),
            models.Index(fields=["workspace", "updated_at"], name="leads_workspace_updated_idx"),
            # The duplicate rules' lookups at intake (leads.duplicate_keys: every key has one of
            # these fields), newest first within a window; the phone index serves every other
            # lookup by phone too.
            models.Index(fields=["phone", "created_at"], name="leads_phone_created_idx"),
            models.Index(Lower("email"), "created_at", name="leads_email_created_idx"),
            # The held leads (ops' queue, the gate's bulk questions): few, so a lead that is not
            # held costs this index nothing on insert.
            models.Index(fields=["id"], name="leads_held_idx", condition=~models.Q(hold_reasons="")),
            # The leads whose posted state the ZIP contradicts (ops' filter): few, likewise.
            models.Index(fields=["id"], name="leads_state_conflict_idx", condition=models.Q(state_conflicts_zip=True)),
        ]

    def __str__(self):
        return f"lead #{self.pk} {self.lead_type} {self.first_name} {self.last_name}"

    @property
    def products(self) -> tuple:
        """What the lead is, as offers and forwarding rules match it (workspaces.zips.products_match):
        its type, the source's product id and the service asked for."""
        return self.lead_type, self.productid, self.service_type

    @property
    def held_reason(self) -> str | None:
        """Why the lead is held, naming the consent flags that were not true; None when it is not held."""
        if not self.held_for_consent:
            return None
        missing = consent_missing({name: getattr(self, name) for name in CONSENT_FLAGS})
        return consent_hold_message(missing or ["consent"])


class DuplicateScope(models.TextChoices):
    WEBHOOK = "webhook", "This webhook"
    LEAD_TYPE = "lead_type", "This lead type"
    ALL = "all", "Everything"


class DuplicateMatch(models.TextChoices):
    ALL = "all", "All keys (one earlier lead matches every key)"
    ANY = "any", "Any key"


class DuplicateAction(models.TextChoices):
    REJECT = "reject", "Reject (kept as a rejected submission)"
    HOLD = "hold", "Accept with a duplicate hold"
    ACCEPT_NO_PAYOUT = "accept_no_payout", "Accept and sell, no source payout"


DUPLICATE_WINDOW_MIN = 60
DUPLICATE_WINDOW_MAX = 365 * 24 * 3600


class DuplicateRule(TimeStampedModel):
    """When a post is a duplicate of an earlier lead, and what then (leads.intake_duplicates).

    A webhook's own rules apply to its posts; a webhook with none gets the global default (the
    rules with no webhook), so ops set the house rule once and override it where a source differs.
    The rule hangs off the webhook (providers sits below leads) with no reverse accessor: the
    webhook admin shows the rules through the inline leads registers there."""

    webhook = models.ForeignKey(
        "providers.WebhookConfig", on_delete=models.CASCADE, null=True, blank=True, related_name="+",
        help_text="Blank: a global default rule, for every webhook without rules of its own.",
    )
    keys = models.CharField(
        max_length=200, help_text="What to compare, comma-separated keys of fields joined by +: "
                                  "phone, email, phone+zip, email+last_name, ...",
    )
    match = models.CharField(max_length=3, choices=DuplicateMatch.choices, default=DuplicateMatch.ANY)
    window_seconds = models.PositiveIntegerField(
        validators=[MinValueValidator(DUPLICATE_WINDOW_MIN), MaxValueValidator(DUPLICATE_WINDOW_MAX)],
        help_text="How far back an earlier lead counts: 60 seconds to 365 days (31536000 s).",
    )
    scope = models.CharField(max_length=10, choices=DuplicateScope.choices, default=DuplicateScope.WEBHOOK)
    action = models.CharField(max_length=20, choices=DuplicateAction.choices)
    is_active = models.BooleanField(default=True)

    class Meta:
        db_table = "duplicate_rules"
        ordering = ["id"]
        constraints = [
            choices_constraint("duplicate_rules", "match", DuplicateMatch.choices),
            choices_constraint("duplicate_rules", "scope", DuplicateScope.choices),
            choices_constraint("duplicate_rules", "action", DuplicateAction.choices),
            models.CheckConstraint(
                condition=models.Q(window_seconds__gte=DUPLICATE_WINDOW_MIN, window_seconds__lte=DUPLICATE_WINDOW_MAX),
                name="duplicate_rules_window_range",
            ),
        ]

    def __str__(self):
        where = self.webhook_id and f"webhook #{self.webhook_id}" or "global"
        return f"duplicate rule #{self.pk} ({where}): {self.match} of {self.keys} → {self.action}"

    def clean(self):
        try:
            self.keys = ", ".join(keys_parse(self.keys))
        except ValidationError as exc:
            raise ValidationError({"keys": exc.messages}) from None

    @property
    def key_list(self) -> list[str]:
        return [key.strip() for key in self.keys.split(",") if key.strip()]


class LeadHold(models.Model):
    """One reason a lead may not reach any workspace (leads.holds.HOLD_REASONS), who placed it,
    when and why; released with who and why. While any hold of a lead is live, the gate refuses
    to grant, send or sell it; the last release distributes it as if it had just arrived."""

    lead = models.ForeignKey(Lead, on_delete=models.PROTECT, related_name="holds")
    reason = models.CharField(max_length=32)
    message = models.TextField()
    placed_by = models.CharField(max_length=255)
    placed_at = models.DateTimeField(default=timezone.now)
    released_at = models.DateTimeField(null=True, blank=True)
    released_by = models.CharField(max_length=255, blank=True)
    release_note = models.TextField(blank=True)

    class Meta:
        db_table = "lead_holds"
        ordering = ["placed_at", "id"]
        # The compliance KPI counts the holds placed in a range of days.
        indexes = [models.Index(fields=["placed_at"], name="lead_holds_placed_idx")]
        constraints = [
            models.UniqueConstraint(
                fields=["lead", "reason"], condition=models.Q(released_at__isnull=True), name="lead_holds_live_uniq"
            ),
        ]

    def __str__(self):
        state = "released" if self.released_at else "live"
        return f"{self.reason} hold on lead #{self.lead_id} ({state})"


class EvidenceKind(models.TextChoices):
    TRUSTEDFORM = "trustedform", "TrustedForm certificate"
    JORNAYA = "jornaya", "Jornaya LeadiD"


class EvidenceOutcome(models.TextChoices):
    PENDING = "pending", "Pending"  # asked for; the verifier has not answered (or is being asked now)
    SUCCESS = "success", "Verified"
    FAILURE = "failure", "Failed"  # the verifier answered: not valid for this lead (expired, no one-to-one, ...)
    ERROR = "error", "Error"  # no answer to judge by (timeout, HTTP error, not configured)


class ConsentEvidence(TimeStampedModel):
    """What a verifier said of one piece of a lead's consent evidence (leads.services.evidence).

    One row per (lead, kind), created when verification is first asked for: a TrustedForm retain
    is billed and allowed once per certificate, so the row is the claim that it was asked, and no
    second call is made for it. Kept with the lead (archiving moves only event rows); the
    person's purge deletes it."""

    lead = models.ForeignKey(Lead, on_delete=models.PROTECT, related_name="consent_evidence")
    kind = models.CharField(max_length=20, choices=EvidenceKind.choices)
    value = models.CharField(max_length=500)  # the certificate URL or token verified
    outcome = models.CharField(max_length=10, choices=EvidenceOutcome.choices, default=EvidenceOutcome.PENDING)
    reason = models.TextField(blank=True)
    requested_at = models.DateTimeField(null=True, blank=True)  # the verifier was called (never twice)
    checked_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    phone_match = models.BooleanField(null=True, blank=True)
    email_match = models.BooleanField(null=True, blank=True)
    one_to_one = models.BooleanField(null=True, blank=True)
    raw_answer = models.JSONField(default=dict, blank=True)

    class Meta:
        db_table = "consent_evidence"
        ordering = ["lead_id", "kind"]
        constraints = [
            models.UniqueConstraint(fields=["lead", "kind"], name="consent_evidence_lead_kind_uniq"),
            choices_constraint("consent_evidence", "kind", EvidenceKind.choices),
            choices_constraint("consent_evidence", "outcome", EvidenceOutcome.choices),
        ]
        indexes = [models.Index(fields=["kind", "value"], name="consent_evidence_value_idx")]

    def __str__(self):
        return f"{self.kind} of lead #{self.lead_id}: {self.outcome}"


class AccessHow(models.TextChoices):
    ASSIGNED = "assigned", "Assigned"
    ROUTED = "routed", "Routed (an appointment)"
    FORWARDED = "forwarded", "Forwarded"
    SOLD = "sold", "Sold"


# The working fields each holder of a lead keeps for itself (LeadAccess); the lead's columns of the
# same names show the primary assignee's.
ACCESS_WORKING_FIELDS = (
    "workspace_status", "status", "status_changed_at", "notes", "priority", "assigned_to", "follow_up_date",
    "contact_attempts",
)


class LeadAccessQuerySet(models.QuerySet):
    def live(self):
        return self.filter(revoked_at__isnull=True)


class LeadAccess(TimeStampedModel):
    """One workspace's hold on a lead (how the lead reached it) and that workspace's own work on it.

    Every partner read and write of a lead goes through the caller's live record, so two
    workspaces holding one lead never see each other's status, notes or follow-ups. A revoked
    record (reassignment, an approved return) keeps its working fields for ops. The lead's own
    working columns mirror the record of its primary assignee (`leads.workspace_id`).
    """

    lead = models.ForeignKey(Lead, on_delete=models.PROTECT, related_name="accesses")
    workspace = models.ForeignKey(
        "workspaces.Workspace", on_delete=models.PROTECT, db_column="workspace_id", related_name="lead_accesses"
    )
    how = models.CharField(max_length=20, choices=AccessHow.choices)
    granted_at = models.DateTimeField(default=timezone.now)
    granted_by = models.CharField(max_length=255, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_by = models.CharField(max_length=255, blank=True)
    workspace_status = models.CharField(max_length=20, choices=WorkspaceStatus.choices, blank=True)
    status = models.CharField(max_length=50, default=ENTRY_STAGE, validators=[validate_pipeline_status])
    status_changed_at = models.DateTimeField(null=True, blank=True)
    notes = models.TextField(blank=True)
    priority = models.PositiveSmallIntegerField(
        default=1, validators=[MinValueValidator(1), MaxValueValidator(5)]
    )
    assigned_to = models.CharField(max_length=255, blank=True)
    follow_up_date = models.DateTimeField(null=True, blank=True)
    contact_attempts = models.PositiveIntegerField(default=0)

    objects = LeadAccessQuerySet.as_manager()

    class Meta:
        db_table = "lead_access"
        ordering = ["-granted_at", "-id"]
        verbose_name_plural = "lead access"
        constraints = [
            models.UniqueConstraint(fields=["lead", "workspace"], name="lead_access_lead_workspace_uniq"),
            choices_constraint("lead_access", "how", AccessHow.choices),
            choices_constraint("lead_access", "workspace_status", WorkspaceStatus.choices, allow_blank=True),
            models.CheckConstraint(condition=models.Q(priority__gte=1, priority__lte=5), name="lead_access_priority_1_5"),
        ]
        indexes = [
            # "Leads visible to workspace W": the live records of W, newest leads first.
            models.Index(
                fields=["workspace", "lead"], name="lead_access_live_idx", condition=models.Q(revoked_at__isnull=True)
            ),
        ]

    def __str__(self):
        state = "revoked" if self.revoked_at else self.how
        return f"lead #{self.lead_id} → {self.workspace_id} ({state})"


class LeadEvent(CreatedAtModel):
    RECEIVED = "received"
    ASSIGNED = "assigned"
    UNASSIGNED = "unassigned"
    STATUS_CHANGED = "status_changed"
    STATE_CONFLICT = "state_conflict"  # the posted state is not the ZIP's (ingest)
    DUPLICATE_MATCHED = "duplicate_matched"  # a duplicate rule matched at ingest: the full match, for ops only
    DELIVERY_WAITING = "delivery_waiting"  # a calling buyer's delivery waits for the consumer's calling window
    DELIVERY_REFUSED = "delivery_refused"  # a waiting delivery was refused when due (suppressed since)

    lead = models.ForeignKey(Lead, on_delete=models.PROTECT, related_name="events")
    event_type = models.CharField(max_length=50, db_index=True)
    event_data = models.JSONField(default=dict, blank=True, validators=[validate_json_object])
    # The workspace this row belongs to; null for ops/system rows every holder of the lead sees.
    workspace = models.ForeignKey(
        "workspaces.Workspace", on_delete=models.PROTECT, null=True, blank=True, db_column="workspace_id",
        related_name="+",
    )

    class Meta:
        db_table = "lead_events"
        ordering = ["-created_at", "-id"]

    def __str__(self):
        return f"{self.event_type} lead #{self.lead_id}"


class LeadStatusHistory(CreatedAtModel):
    lead = models.ForeignKey(Lead, on_delete=models.PROTECT, related_name="status_history")
    old_status = models.CharField(max_length=50, blank=True)
    new_status = models.CharField(max_length=50)
    changed_by = models.CharField(max_length=255)
    changed_by_name = models.CharField(max_length=255, blank=True)
    reason = models.TextField(blank=True)
    notes = models.TextField(blank=True)
    metadata = models.JSONField(default=dict, blank=True, validators=[validate_json_object])
    # The workspace this row belongs to; null for ops/system rows every holder of the lead sees.
    workspace = models.ForeignKey(
        "workspaces.Workspace", on_delete=models.PROTECT, null=True, blank=True, db_column="workspace_id",
        related_name="+",
    )

    class Meta:
        db_table = "lead_status_history"
        ordering = ["-created_at", "-id"]
        verbose_name_plural = "lead status history"

    def __str__(self):
        return f"lead #{self.lead_id}: {self.old_status} → {self.new_status}"


class ActivityType(models.TextChoices):
    CALL = "call", "Call"
    EMAIL = "email", "Email"
    MEETING = "meeting", "Meeting"
    NOTE = "note", "Note"
    STATUS_CHANGE = "status_change", "Status change"


class LeadActivity(CreatedAtModel):
    lead = models.ForeignKey(Lead, on_delete=models.PROTECT, related_name="activities")
    activity_type = models.CharField(max_length=20, choices=ActivityType.choices)
    title = models.CharField(max_length=255)
    description = models.TextField(blank=True)
    activity_date = models.DateTimeField(default=timezone.now, db_index=True)
    created_by = models.CharField(max_length=255)
    created_by_name = models.CharField(max_length=255, blank=True)
    metadata = models.JSONField(default=dict, blank=True, validators=[validate_json_object])
    # The workspace this row belongs to; null for ops/system rows every holder of the lead sees.
    workspace = models.ForeignKey(
        "workspaces.Workspace", on_delete=models.PROTECT, null=True, blank=True, db_column="workspace_id",
        related_name="+",
    )

    class Meta:
        db_table = "lead_activities"
        ordering = ["-activity_date", "-id"]
        verbose_name_plural = "lead activities"
        constraints = [choices_constraint("lead_activities", "activity_type", ActivityType.choices)]

    def __str__(self):
        return f"{self.activity_type}: {self.title}"


class TrackingAction(models.TextChoices):
    SENT = "sent", "Sent"
    RECEIVED = "received", "Received"
    CONVERTED = "converted", "Converted"
    UPDATED = "updated", "Updated"
    QUALIFIED = "qualified", "Qualified"
    REJECTED = "rejected", "Rejected"


class WorkspaceTracking(models.Model):
    """Audit trail of what passed between leadhub and each workspace."""

    contact = models.ForeignKey("contacts.Contact", on_delete=models.PROTECT, related_name="workspace_tracking")
    lead = models.ForeignKey(
        Lead, on_delete=models.PROTECT, null=True, blank=True, related_name="workspace_tracking"
    )
    workspace = models.ForeignKey(
        "workspaces.Workspace", on_delete=models.PROTECT, db_column="workspace_id", related_name="tracking"
    )
    action = models.CharField(max_length=20, choices=TrackingAction.choices)
    action_details = models.TextField(blank=True)
    performed_by = models.CharField(max_length=255, blank=True)
    metadata = models.JSONField(default=dict, blank=True, validators=[validate_json_object])
    timestamp = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        db_table = "workspace_tracking"
        ordering = ["-timestamp", "-id"]
        verbose_name_plural = "workspace tracking"
        constraints = [choices_constraint("workspace_tracking", "action", TrackingAction.choices)]

    def __str__(self):
        return f"{self.action} {self.workspace_id} contact #{self.contact_id}"
