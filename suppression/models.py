"""Suppression lists: phones and emails nobody may be sold, each entry found by its peppered digest.

A list has a kind (suppression.kinds: who it applies to). An entry keeps the plain value for ops
to read and a digest to be found by; purging a person clears the value and keeps the digest, so
a purged opt-out never becomes sellable again while nothing readable of the person stays.
"""
from django.db import models

from leadhub.models import TimeStampedModel, choices_constraint


class ListKind(models.TextChoices):
    INTERNAL = "internal", "Internal do-not-contact (all buyers)"
    DNC = "dnc", "Do-not-call registry (calling buyers only)"
    OPT_OUT = "opt_out", "A workspace's opt-outs (that buyer; all buyers for numbers it bought)"


class Channel(models.TextChoices):
    PHONE = "phone", "Phone"
    EMAIL = "email", "Email"


class SuppressionList(TimeStampedModel):
    name = models.CharField(max_length=100, unique=True)
    kind = models.CharField(max_length=10, choices=ListKind.choices, default=ListKind.INTERNAL)
    # The reporting workspace of an opt-out list (one list per workspace); none for the others.
    workspace = models.OneToOneField(
        "workspaces.Workspace", on_delete=models.PROTECT, null=True, blank=True, related_name="suppression_list"
    )
    description = models.TextField(blank=True)
    imported_at = models.DateTimeField(null=True, blank=True)
    imported_by = models.CharField(max_length=255, blank=True)

    class Meta:
        db_table = "suppression_lists"
        ordering = ["name"]
        constraints = [
            choices_constraint("suppression_lists", "kind", ListKind.choices),
            models.CheckConstraint(
                condition=models.Q(kind=ListKind.OPT_OUT, workspace__isnull=False)
                | (~models.Q(kind=ListKind.OPT_OUT) & models.Q(workspace__isnull=True)),
                name="suppression_lists_opt_out_has_workspace",
            ),
        ]

    def __str__(self):
        return self.name


class SuppressionEntry(models.Model):
    """One phone or email on a list. `digest` (suppression.services.suppression_digest) is what
    every check looks up, on its own index; `value` is for ops and is blank once the person was
    purged."""

    suppression_list = models.ForeignKey(SuppressionList, on_delete=models.CASCADE, related_name="entries")
    channel = models.CharField(max_length=5, choices=Channel.choices)
    digest = models.CharField(max_length=64)
    value = models.CharField(max_length=254, blank=True)
    reason = models.CharField(max_length=255, blank=True)
    # An opt-out a workspace reported for a number it bought applies to every buyer.
    applies_to_all = models.BooleanField(default=False)
    added_at = models.DateTimeField()
    added_by = models.CharField(max_length=255, blank=True)
    purged_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        db_table = "suppression_entries"
        ordering = ["-added_at", "-id"]
        verbose_name_plural = "suppression entries"
        constraints = [
            models.UniqueConstraint(fields=["suppression_list", "digest"], name="suppression_entries_list_digest_uniq"),
            choices_constraint("suppression_entries", "channel", Channel.choices),
        ]
        indexes = [models.Index(fields=["digest"], name="suppression_entries_digest_idx")]

    def __str__(self):
        return f"{self.value or '(purged)'} on {self.suppression_list_id}"
