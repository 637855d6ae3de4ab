"""Workspace use cases (writes): API keys and outbound webhook settings."""
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from leadhub.keys import generate_key, key_digest
from workspaces.models import Workspace

KEY_PREFIX = "lh_live_"


@transaction.atomic
def workspace_key_rotate(*, workspace: Workspace) -> str:
    """Issue a new key and return it raw. Only its digest is stored, so the old key stops working
    at once and the new one can never be shown again."""
    raw_key = generate_key(KEY_PREFIX)
    Workspace.objects.filter(pk=workspace.pk).update(api_key=key_digest(raw_key), updated_at=timezone.now())
    workspace.api_key = key_digest(raw_key)
    return raw_key


@transaction.atomic
def workspace_webhook_update(*, workspace: Workspace, outbound_webhook_url=None, webhook_active=None) -> Workspace:
    """Partners point leadhub at their own endpoint; an active webhook needs a URL to call."""
    if outbound_webhook_url is not None:
        workspace.outbound_webhook_url = outbound_webhook_url
    if webhook_active is not None:
        workspace.webhook_active = webhook_active
    if workspace.webhook_active and not workspace.outbound_webhook_url:
        raise ValidationError({"outbound_webhook_url": ["Required when webhook_active is true."]})
    workspace.full_clean(validate_unique=False, validate_constraints=False)
    workspace.save(update_fields=["outbound_webhook_url", "webhook_active", "updated_at"])
    return workspace

