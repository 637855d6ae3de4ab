"""A buyer sends back a lead it bought: the reasons ops allow, and one row per return.

A sale has at most one live return (requested or approved; a rejected one leaves room for none
other to be pending): a partial unique index, so two concurrent requests for one sale make one
return. The money an approved return moves is in the ledger (`return:<sale id>`,
`chargeback:return:<sale id>`), never here.
"""
from django.db import models
from django.db.models import Q
from django.utils import timezone

from distribution.models import Sale
from leadhub.models import TimeStampedModel, choices_constraint
from leads.models import Lead
from workspaces.models import Workspace


class Verification(models.TextChoices):
    """What leadhub can check itself: a reason verified this way is approved without ops."""

    INVALID_PHONE = "invalid_phone", "The phone is not a valid number (phonenumbers)"
    DUPLICATE = "duplicate", "The buyer bought the same phone within its duplicate window"


class ReturnReason(TimeStampedModel):
    """A reason code a buyer may give (ops-configured; the defaults are seeded by a migration)."""

    code = models.SlugField(max_length=50, unique=True)
    label = models.CharField(max_length=200)
    is_active = models.BooleanField(default=True, help_text="Buyers may give it.")
    auto_approve = models.CharField(
        max_length=20, choices=Verification.choices, blank=True,
        help_text="Approve a return for this reason without ops when leadhub verifies it; blank = ops review.",
    )

    class Meta:
        db_table = "return_reasons"
        ordering = ["code"]
        constraints = [choices_constraint("return_reasons", "auto_approve", Verification.choices, allow_blank=True)]

    def __str__(self):
        return self.code


class ReturnState(models.TextChoices):
    REQUESTED = "requested", "Requested (ops review)"
    APPROVED = "approved", "Approved (credited)"
    REJECTED = "rejected", "Rejected"


LIVE_STATES = (ReturnState.REQUESTED, ReturnState.APPROVED)


class Return(models.Model):
    """One buyer's return of one lead sale, with the limits it was checked against."""

    sale = models.ForeignKey(Sale, on_delete=models.CASCADE, related_name="+")
    lead = models.ForeignKey(Lead, on_delete=models.CASCADE, related_name="+")
    workspace = models.ForeignKey(Workspace, on_delete=models.PROTECT, related_name="+")
    reason = models.ForeignKey(ReturnReason, on_delete=models.PROTECT, related_name="returns")
    note = models.TextField(blank=True)
    state = models.CharField(max_length=10, choices=ReturnState.choices, default=ReturnState.REQUESTED)
    requested_at = models.DateTimeField(default=timezone.now, db_index=True)
    requested_by = models.CharField(max_length=255)
    # When the buyer's return window started (its first delivery, or the sale; the request's own
    # time when the delivery was still waiting to be sent): kept for disputes.
    window_started_at = models.DateTimeField()
    decided_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.CharField(max_length=255, blank=True)
    decision_reason = models.TextField(blank=True, help_text="Why it was approved or rejected.")
    verified = models.CharField(max_length=255, blank=True, help_text="What leadhub verified when it auto-approved.")

    class Meta:
        db_table = "returns"
        ordering = ["-requested_at", "-id"]
        indexes = [models.Index(fields=["workspace", "-requested_at"], name="return_buyer_idx")]
        constraints = [
            models.UniqueConstraint(fields=["sale"], condition=Q(state__in=LIVE_STATES), name="return_one_live_per_sale"),
            choices_constraint("returns", "state", ReturnState.choices),
        ]

    def __str__(self):
        return f"return #{self.pk} of lead {self.lead_id} by {self.workspace_id} ({self.state})"
