"""Workspace use cases (writes): API keys and outbound webhook settings."""
from datetime import timedelta

from django.core.cache import cache
from django.db import transaction
from django.utils import timezone

from leadhub.errors import ServiceRefusal, errors_message
from leadhub.keys import DEFAULT_ROTATION_GRACE, generate_key, key_digest, rotate
from workspaces.models import AppointmentRoutingRule, Workspace, generate_signing_secret



class WorkspaceInvalid(ServiceRefusal):
    """Workspace settings refused as a whole (an active webhook with no URL), named per field (the
    API's 422 `validation`); each field's own checks stay the model's (full_clean)."""

    code = "validation"

    def __init__(self, errors: dict):
        super().__init__(errors_message(errors), errors=errors)


KEY_PREFIX = "lh_live_"
ACTIVITY_STAMP_SECONDS = 60


def workspace_activity_touch(*, workspace_id: str) -> None:
    """Stamp `last_activity_at` at most once a minute per workspace: the cache key decides, so
    API traffic never becomes a write per request."""
    if cache.add(f"workspace-activity:{workspace_id}", 1, ACTIVITY_STAMP_SECONDS):
        Workspace.objects.filter(pk=workspace_id).update(last_activity_at=timezone.now())


def workspace_key_rotate(*, workspace: Workspace, grace: timedelta = DEFAULT_ROTATION_GRACE) -> str:
    """Issue a new key and return it raw (only its digest is stored, so it is never shown again).
    The old key keeps working for `grace` (zero: it stops at once, for a leaked key)."""
    raw_key = generate_key(KEY_PREFIX)
    rotate(workspace, field="api_key", new=key_digest(raw_key), grace=grace)
    return raw_key


@transaction.atomic
def workspace_webhook_update(
    *, workspace: Workspace, outbound_webhook_url=None, webhook_active=None, webhook_events=None
) -> Workspace:
    """Partners point leadhub at their own endpoint; an active webhook needs a URL to call."""
    if outbound_webhook_url is not None:
        workspace.outbound_webhook_url = outbound_webhook_url
    if webhook_events is not None:
        workspace.webhook_events = webhook_events
    if webhook_active is not None:
        if webhook_active and not workspace.webhook_active:
            # Switching on again (e.g. after the automatic switch-off) starts a fresh failure count.
            workspace.webhook_failure_streak = 0
            workspace.webhook_disabled_reason = ""
            workspace.webhook_disabled_at = None
        workspace.webhook_active = webhook_active
    if workspace.webhook_active and not workspace.outbound_webhook_url:
        raise WorkspaceInvalid({"outbound_webhook_url": ["Required when webhook_active is true."]})
    workspace.full_clean(validate_unique=False, validate_constraints=False)
    workspace.save(
        update_fields=[
            "outbound_webhook_url", "webhook_active", "webhook_events", "webhook_failure_streak",
            "webhook_disabled_reason", "webhook_disabled_at", "updated_at",
        ]
    )
    return workspace


@transaction.atomic
def workspace_signing_secret_rotate(*, workspace: Workspace, grace: timedelta = DEFAULT_ROTATION_GRACE) -> str:
    """Issue a new secret for signing this workspace's outbound webhooks and return it (shown
    once). Deliveries from now on, retries included, are signed with the new one, and during
    `grace` with the old one too (two `v1=` values), so the receiver can switch without an outage."""
    secret = generate_signing_secret()
    rotate(workspace, field="webhook_secret", new=secret, grace=grace)
    return secret



@transaction.atomic
def routing_rule_save(
    *,
    workspace: Workspace,
    zip_codes: list,
    product_types: list,
    priority: int = 1,
    is_active: bool = True,
    notes: str = "",
    created_by: str = "",
    rule=None,
):
    """Create or change a routing rule. Entries are validated (exact ZIP, `90210-90299`, `902*`)
    and the rule's derived index rows rewritten in the same transaction (the model's save)."""
    rule = rule or AppointmentRoutingRule(created_by=created_by)
    rule.workspace = workspace
    rule.zip_codes = [str(entry).strip() for entry in zip_codes]
    rule.product_types = [str(product).strip() for product in product_types]
    rule.priority = priority
    rule.is_active = is_active
    rule.notes = notes
    rule.full_clean()
    rule.save()
    return rule
