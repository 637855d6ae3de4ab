"""A provider's API key and a webhook's signing secret."""
from datetime import timedelta

from leadhub.keys import DEFAULT_ROTATION_GRACE, generate_key, key_digest, rotate
from providers.models import LeadSourceProvider, WebhookConfig
from workspaces.models import generate_signing_secret

PROVIDER_KEY_PREFIX = "lhp_"


def provider_key_rotate(*, provider: LeadSourceProvider, grace: timedelta = DEFAULT_ROTATION_GRACE) -> str:
    """Give the provider a new API key; returns the raw key, which is shown once and never stored.
    The old key keeps working for `grace` (zero: it stops at once, for a leaked key)."""
    raw_key = generate_key(PROVIDER_KEY_PREFIX)
    rotate(provider, field="api_key", new=key_digest(raw_key), grace=grace)
    return raw_key


def webhook_secret_rotate(*, webhook: WebhookConfig) -> str:
    """Generate a new secret the webhook's posts must be signed with; returns it (shown once).
    Posts signed with the old one are refused from then on (one secret per webhook, no grace)."""
    webhook.secret_key = generate_signing_secret()
    webhook.save(update_fields=["secret_key", "updated_at"])
    return webhook.secret_key
