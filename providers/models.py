"""Lead sources: the providers that post to us, the webhook endpoints they post to, and usage."""
import re
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.utils import timezone

from leadhub.choices import LeadType
from leadhub.netguard import outbound_url_check
from leadhub.models import MONEY_MAX, CreatedAtModel, TimeStampedModel, choices_constraint
from leadhub.validators import validate_optional_string_array
from providers.mapping import mapping_target_error
from workspaces.models import validate_time_zone


STRATEGY_CHOICES: dict[str, str] = {}
"""name → words of each way a webhook's accepted leads are distributed to buyers' offers.
Distribution owns the strategies (distribution.strategies) and names each here as it registers
it, so a new strategy needs neither a change here nor a migration."""


def distribution_strategy_choices() -> list[tuple[str, str]]:
    return list(STRATEGY_CHOICES.items())


class PayoutKind(models.TextChoices):
    """What the source of a webhook's leads is paid."""

    FIXED = "fixed", "Fixed amount per lead"
    SHARE = "share", "Share of the sale"


class PayoutOn(models.TextChoices):
    """When a source's payout is booked: when its lead (or appointment) is accepted, a held lead
    when its last hold is released; or with the first sale (a share of nothing is nothing, so a
    share is always booked on sale)."""

    ACCEPTED = "accepted", "Accepted (a held lead: when its last hold is released)"
    SOLD = "sold", "Sold (with the first sale)"


class ConsentEvidenceMode(models.TextChoices):
    """What a webhook asks of a post's consent evidence (TrustedForm certificate, Jornaya LeadiD)."""

    CAPTURE = "capture", "Capture: keep what is sent, flag what is malformed"
    REQUIRE = "require", "Require: refuse a post without valid evidence"
    VERIFIED_BEFORE_SALE = "verified_before_sale", "Verified before sale: hold the lead until the evidence is verified"


class SuppressionAction(models.TextChoices):
    """What ingest does with a post whose phone or email is on a list that applies to every buyer
    (suppression.kinds). `hold` is the default, for webhooks made before suppression too: nothing
    is lost (the lead is kept, held, and ops see why) and nothing leaves; `refuse` answers the
    provider a failure and keeps the post only as a rejected submission."""

    HOLD = "hold", "Accept it, held (suppressed)"
    REFUSE = "refuse", "Refuse it (failure, code suppressed)"


_ORIGIN = re.compile(r"^https?://[a-z0-9.-]+(:\d{1,5})?$")


def origin_normalize(text: str) -> str:
    return text.strip().rstrip("/").lower()


def validate_origins(value):
    """One origin a line: a scheme and a host (and a port), no path."""
    bad = [line.strip() for line in value.splitlines() if line.strip() and not _ORIGIN.match(origin_normalize(line))]
    if bad:
        raise ValidationError(f"Not an origin (https://www.example.com): {', '.join(bad)}.", code="invalid")


class WebhookConfig(TimeStampedModel):
    webhook_id = models.CharField(
        max_length=100,
        unique=True,
        validators=[RegexValidator(r"^[A-Za-z0-9][A-Za-z0-9_-]*$", "Letters, digits, - and _ only.")],
    )
    name = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    lead_type = models.CharField(max_length=20, choices=LeadType.choices)
    is_active = models.BooleanField(default=True)
    secret_key = models.CharField(max_length=255, blank=True)
    rate_limit = models.PositiveIntegerField(
        default=100, validators=[MinValueValidator(1)],
        help_text="Posts each provider may send per window: every provider on this webhook is counted on its own.",
    )
    rate_window = models.PositiveIntegerField(default=60, validators=[MinValueValidator(1)])
    total_leads = models.PositiveIntegerField(default=0)
    last_lead_at = models.DateTimeField(null=True, blank=True)
    distribution_strategy = models.CharField(
        max_length=20, choices=distribution_strategy_choices, blank=True,
        help_text="Distribute each accepted lead to buyers' offers by this strategy; blank = do not distribute.",
    )
    multisell_buyers = models.PositiveSmallIntegerField(
        default=3, validators=[MinValueValidator(1), MaxValueValidator(20)],
        help_text="Multisell: at most this many buyers share a lead.",
    )
    payout_kind = models.CharField(max_length=10, choices=PayoutKind.choices, blank=True,
                                   help_text="Blank = the source is paid nothing through the ledger.")
    payout_amount = models.DecimalField(
        max_digits=14, decimal_places=2, default=Decimal("0"),
        validators=[MinValueValidator(Decimal("0")), MaxValueValidator(MONEY_MAX)], help_text="Fixed payout.",
    )
    payout_share = models.DecimalField(
        max_digits=5, decimal_places=2, default=Decimal("0"),
        validators=[MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("100"))],
        help_text="Percent of the lead's sales paid to the source.",
    )
    payout_on = models.CharField(
        max_length=10, choices=PayoutOn.choices, default=PayoutOn.ACCEPTED,
        help_text="When the payout is booked; a share is always booked on sale.",
    )
    chargeback_on_return = models.BooleanField(
        default=False, help_text="When a buyer's return is approved, take the source's payout back (a share: the "
                                 "returned sale's part; a fixed payout: once no other sale of the lead remains).",
    )
    resell_returned = models.BooleanField(
        default=False, help_text="Offer a returned lead again to other buyers (never to the one that returned it).",
    )
    retry_unsold = models.BooleanField(
        default=False,
        help_text="Distribute unsold leads again when offers' schedules open, caps reset or a prepaid buyer's funds "
                  "cover the price.",
    )
    retry_unsold_max_age_hours = models.PositiveIntegerField(
        default=24, validators=[MinValueValidator(1)], help_text="Unsold leads older than this are not retried.",
    )
    consent_evidence = models.CharField(
        max_length=20, choices=ConsentEvidenceMode.choices, default=ConsentEvidenceMode.CAPTURE,
        help_text="capture: keep the evidence sent, malformed values flagged; require: refuse a post without valid "
                  "evidence (a malformed consumer IP too); verified_before_sale: accept, but hold the lead until a "
                  "verifier confirms its evidence.",
    )
    suppression_action = models.CharField(
        max_length=10, choices=SuppressionAction.choices, default=SuppressionAction.HOLD,
        help_text="A post of a suppressed phone or email (a list for all buyers): held, or refused.",
    )
    test_mode = models.BooleanField(
        default=False,
        help_text="For a provider's integration: posts are checked and answered as usual, but no lead or "
                  "appointment is stored.",
    )
    # The first-party form (GET /forms/<webhook_id>/, leads.forms_page): the lead company's own
    # landing pages capture leads through it, with no provider key.
    form_enabled = models.BooleanField(
        default=False, help_text="Publish an embeddable form for this webhook at /forms/<webhook_id>/.",
    )
    form_provider = models.ForeignKey(
        "LeadSourceProvider", null=True, blank=True, on_delete=models.PROTECT, related_name="+",
        help_text="The provider the form's leads are counted under (usage, payouts); blank = none.",
    )
    form_consent_text = models.TextField(
        blank=True, help_text="The consent the form shows beside its checkbox, stored with each lead word for word.",
    )
    form_allowed_origins = models.TextField(
        blank=True, validators=[validate_origins],
        help_text="Sites that may post the form, one origin a line (https://www.example.com); the form's own page "
                  "always may.",
    )
    form_trustedform = models.BooleanField(default=False, help_text="The form loads the TrustedForm script.")
    form_jornaya = models.BooleanField(default=False, help_text="The form loads the Jornaya LeadiD script.")
    form_appointments = models.BooleanField(
        default=False, help_text="After the lead, the form offers to book an appointment.",
    )
    strict = models.BooleanField(
        default=False,
        help_text="Refuse a post with fields leadhub does not know (naming them) instead of accepting it and "
                  "listing them in the answer's unknown_fields.",
    )
    # The field and value mapping rows compiled (providers.mapping.webhook_mapping_refresh), so a post
    # reads them with the webhook's own row: no query per mapping row on the hot path.
    payload_mapping = models.JSONField(default=dict, blank=True, editable=False)
    postback_url = models.URLField(
        max_length=500, blank=True,
        help_text="The source's postback URL: this webhook's leads sold, returned and payouts reversed (source.* "
                  "events), signed with the postback secret. Blank = no postbacks.",
    )
    # Signs the postbacks (leadhub.signing), issued with the first postback URL; kept in clear: it must sign.
    postback_secret = models.CharField(max_length=128, blank=True, editable=False)
    # Soft delete: inactive at once, restorable until the window closes, then finalised for good.
    deleted_at = models.DateTimeField(null=True, blank=True, db_index=True)
    deleted_reason = models.TextField(blank=True)
    deleted_by = models.CharField(max_length=255, blank=True)
    deletion_finalized_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        db_table = "webhook_configs"
        ordering = ["webhook_id"]
        constraints = [
            choices_constraint("webhook_configs", "lead_type", LeadType.choices),
            choices_constraint("webhook_configs", "payout_kind", PayoutKind.choices, allow_blank=True),
            choices_constraint("webhook_configs", "payout_on", PayoutOn.choices),
            choices_constraint("webhook_configs", "consent_evidence", ConsentEvidenceMode.choices),
            choices_constraint("webhook_configs", "suppression_action", SuppressionAction.choices),
        ]

    def __str__(self):
        return self.webhook_id

    def clean(self):
        try:
            outbound_url_check(self.postback_url)
        except ValidationError as exc:
            raise ValidationError({"postback_url": exc.messages}) from None

    @property
    def form_origins(self) -> list[str]:
        """`form_allowed_origins` as origins, each as a browser sends it (no trailing slash, lower case)."""
        return [origin_normalize(line) for line in self.form_allowed_origins.splitlines() if line.strip()]

    @property
    def payout_booked_on(self) -> str:
        """`payout_on` as it applies: a share is a share of sales, so it is booked on sale."""
        return PayoutOn.SOLD if self.payout_kind == PayoutKind.SHARE else self.payout_on


def ops_time_zone():
    """A new source's zone until ops name its own: the operations team's (OPS_TIME_ZONE)."""
    return settings.OPS_TIME_ZONE


def mapping_target_check(name):
    """A mapping row's leadhub field must be one an endpoint reads (providers.mapping)."""
    if error := mapping_target_error(name):
        raise ValidationError({"field": [error]})


class WebhookFieldMapping(models.Model):
    """A source's field name and the leadhub field it is (`Primary_Phone` is `phone`), per webhook.
    Names compare as payload keys do (any case, `_`/`-`/spaces ignored)."""

    webhook = models.ForeignKey(WebhookConfig, on_delete=models.CASCADE, related_name="field_mappings")
    source_field = models.CharField(max_length=100, help_text="The field name as the source sends it.")
    field = models.CharField(max_length=100, help_text="The leadhub field it is (e.g. phone, zip_code).")

    class Meta:
        db_table = "webhook_field_mappings"
        ordering = ["webhook_id", "source_field"]
        constraints = [models.UniqueConstraint(fields=["webhook", "source_field"], name="webhook_field_mapping_uniq")]

    def __str__(self):
        return f"{self.source_field} → {self.field}"

    def clean(self):
        mapping_target_check(self.field)


class WebhookValueMapping(models.Model):
    """A value a source sends for a leadhub field and the value leadhub reads instead (`Yes` is
    `true` for consent_value), per webhook. Values compare without regard to case or surrounding
    spaces."""

    webhook = models.ForeignKey(WebhookConfig, on_delete=models.CASCADE, related_name="value_mappings")
    field = models.CharField(max_length=100, help_text="The leadhub field (e.g. consent_value, property_type).")
    source_value = models.CharField(max_length=255, help_text="The value as the source sends it.")
    value = models.CharField(max_length=255, help_text="The value leadhub reads instead.")

    class Meta:
        db_table = "webhook_value_mappings"
        ordering = ["webhook_id", "field", "source_value"]
        constraints = [models.UniqueConstraint(fields=["webhook", "field", "source_value"],
                                               name="webhook_value_mapping_uniq")]

    def __str__(self):
        return f"{self.field}: {self.source_value} → {self.value}"

    def clean(self):
        mapping_target_check(self.field)


class LeadSourceProvider(TimeStampedModel):
    provider_id = models.CharField(
        max_length=100,
        unique=True,
        validators=[RegexValidator(r"^[A-Za-z0-9][A-Za-z0-9_-]*$", "Letters, digits, - and _ only.")],
    )
    provider_name = models.CharField(max_length=200)
    company_name = models.CharField(max_length=200, blank=True)
    contact_email = models.EmailField(blank=True)
    contact_name = models.CharField(max_length=200, blank=True)
    contact_phone = models.CharField(max_length=32, blank=True)
    # HMAC-SHA256 digest of the provider's key; indexed because every request looks it up.
    api_key = models.CharField(max_length=64, null=True, blank=True, db_index=True, editable=False)  # noqa: DJ001 NULL = none issued (unique)
    # The key before the last rotation, accepted until its grace ends (leadhub.keys).
    api_key_previous = models.CharField(max_length=64, null=True, blank=True, db_index=True, editable=False)  # noqa: DJ001 NULL = none issued (unique)
    api_key_previous_expires_at = models.DateTimeField(null=True, blank=True, editable=False)
    is_active = models.BooleanField(default=True)
    allowed_webhooks = models.JSONField(
        null=True, blank=True, default=None, validators=[validate_optional_string_array]
    )
    rate_limit = models.PositiveIntegerField(default=1000, validators=[MinValueValidator(1)])
    notes = models.TextField(blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    time_zone = models.CharField(
        max_length=64, default=ops_time_zone, validators=[validate_time_zone],
        help_text="IANA zone the source's statement weeks and months are cut in (e.g. America/Chicago).",
    )

    class Meta:
        db_table = "lead_source_providers"
        ordering = ["provider_id"]

    def __str__(self):
        return self.provider_id


class ProviderUsageLog(CreatedAtModel):
    provider = models.ForeignKey(
        LeadSourceProvider,
        on_delete=models.PROTECT,
        to_field="provider_id",
        db_column="provider_id",
        related_name="usage_logs",
    )
    webhook_id = models.CharField(max_length=100, db_index=True)
    request_count = models.PositiveIntegerField(default=1)
    date = models.DateField(db_index=True)

    class Meta:
        db_table = "provider_usage_log"
        ordering = ["-date", "provider_id"]
        constraints = [
            models.UniqueConstraint(
                fields=["provider", "webhook_id", "date"], name="provider_usage_provider_webhook_date_uniq"
            )
        ]

    def __str__(self):
        return f"{self.provider_id}/{self.webhook_id} {self.date}: {self.request_count}"


class RejectedSubmission(CreatedAtModel):
    """A refused webhook post, kept so nothing a provider sent is lost and ops can re-process it.

    Values are stored as sent (text, not foreign keys): the webhook or provider may not exist,
    which is often why the post was refused.
    """

    BODY_LIMIT = 64 * 1024
    # Posts refused before a provider proved who it is (unknown webhook or provider, bad key):
    # anyone can send those, so only this much is kept, on one row per client and minute.
    UNAUTHENTICATED_BODY_LIMIT = 1024

    endpoint = models.CharField(max_length=20, default="lead")
    webhook_id = models.CharField(max_length=255, db_index=True)
    provider_id = models.CharField(max_length=255, blank=True)
    reason_code = models.CharField(max_length=50)
    reason = models.TextField()
    http_status = models.PositiveSmallIntegerField()
    errors = models.JSONField(default=dict, blank=True)
    raw_body = models.TextField(blank=True)
    body_size = models.PositiveIntegerField(default=0)
    body_truncated = models.BooleanField(default=False)
    content_type = models.CharField(max_length=255, blank=True)
    # The post's query string: on a webhook without a signature its fields are the body's too
    # (providers.mapping.query_fields_merge), so re-processing needs it.
    query_string = models.TextField(blank=True)
    ip_address = models.CharField(max_length=45, blank=True)
    # The client `ip_address` counts as (leadhub.middleware.ip_bucket: an IPv6 /64 is one), by which
    # refusals of senders that proved nothing are merged.
    ip_bucket = models.CharField(max_length=45, blank=True)
    user_agent = models.CharField(max_length=512, blank=True)
    request_id = models.CharField(max_length=128, blank=True, db_index=True)
    # Normalised phone of the payload (best effort), so purging a person reaches these rows too.
    phone_normalized = models.CharField(max_length=16, blank=True, db_index=True)
    reprocessed_at = models.DateTimeField(null=True, blank=True)
    # The lead or appointment the re-processing created (by `endpoint`).
    reprocessed_object_id = models.BigIntegerField(null=True, blank=True)
    reprocess_error = models.TextField(blank=True)
    # Ops' corrected copy of the payload the last re-processing used (null: the body as received).
    reprocessed_payload = models.JSONField(null=True, blank=True)
    # Whether the sender proved who it is (its provider's id and key) before the post was refused.
    # A post that did not could come from anyone naming a real provider: it is re-processed as that
    # provider (payout, sale) only once ops take the sender as proven, recorded by whom and when.
    sender_authenticated = models.BooleanField(default=True)
    sender_confirmed_by = models.CharField(max_length=255, blank=True)
    sender_confirmed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        db_table = "rejected_submissions"
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(
                fields=["provider_id", "webhook_id", "reason_code", "created_at"],
                name="rejected_flood_lookup_idx",
            ),
            models.Index(fields=["ip_bucket", "reason_code", "created_at"], name="rejected_bucket_flood_idx"),
        ]

    def __str__(self):
        return f"{self.http_status} {self.reason_code} on {self.webhook_id} ({self.created_at:%Y-%m-%d %H:%M})"

    @property
    def occurrences(self) -> int:
        return self.tally.occurrences

    @property
    def last_seen_at(self):
        return self.tally.last_seen_at


class RejectedSubmissionTally(models.Model):
    """How often a refusal recurred, and when last. Merged refusals (a flood from one client, a
    provider's refusals before its rate limits and its 429s) count here rather than on the refused
    post's row, so each repeat rewrites a row of a few dozen bytes, not one holding a body: a
    flood's storage stays bounded even while PostgreSQL cannot yet reclaim the old row versions."""

    submission = models.OneToOneField(RejectedSubmission, primary_key=True, on_delete=models.CASCADE,
                                      related_name="tally")
    occurrences = models.PositiveIntegerField(default=1)
    last_seen_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        db_table = "rejected_submission_tallies"

    def __str__(self):
        return f"{self.occurrences}× (last {self.last_seen_at:%Y-%m-%d %H:%M})"



class SignatureReceipt(CreatedAtModel):
    """A signed webhook post seen inside the signature's tolerance window, so the same signed
    body sent again is answered, not processed again. `response` is the original success body,
    or NULL while the first post is still being processed."""

    digest = models.CharField(max_length=64, unique=True)
    webhook_id = models.CharField(max_length=255)
    response = models.JSONField(null=True, blank=True)

    class Meta:
        db_table = "webhook_signature_receipts"

    def __str__(self):
        return f"{self.webhook_id} {self.digest[:12]}"


class WebhookConfigEvent(CreatedAtModel):
    """Audit of a webhook config's lifecycle; survives the config's final deletion."""

    DELETED = "deleted"
    RESTORED = "restored"
    FINALIZED = "finalized"

    webhook_id = models.CharField(max_length=100, db_index=True)
    event_type = models.CharField(max_length=20)
    reason = models.TextField(blank=True)
    created_by = models.CharField(max_length=255)

    class Meta:
        db_table = "webhook_config_events"
        ordering = ["-created_at", "-id"]

    def __str__(self):
        return f"{self.event_type} {self.webhook_id}"
