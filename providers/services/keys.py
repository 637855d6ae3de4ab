"""A provider's API key, a webhook's signing secret, and its postback URL and secret."""
from datetime import timedelta

from django.core.exceptions import ValidationError
from django.db import transaction

from leadhub.errors import ServiceRefusal, errors_message

from leadhub.keys import DEFAULT_ROTATION_GRACE, generate_key, key_digest, rotate
from providers.models import LeadSourceProvider, WebhookConfig
from workspaces.models import generate_signing_secret

PROVIDER_KEY_PREFIX = "lhp_"


class PostbackInvalid(ServiceRefusal):
    """A postback URL the outbound guard refuses, named per field (the API's 422 `validation`)."""

    code = "validation"

    def __init__(self, errors: dict):
        super().__init__(errors_message(errors), errors=errors)


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


@transaction.atomic
def webhook_postback_set(*, webhook: WebhookConfig, postback_url: str) -> str | None:
    """Point the webhook's postbacks (source.* events) at `postback_url` (blank: none), checked by
    the outbound URL guard like every outbound URL. The first URL issues the postback secret and
    returns it (shown once); later changes keep it and return None."""
    webhook.postback_url = (postback_url or "").strip()
    try:
        webhook.clean_fields(exclude=[f.name for f in WebhookConfig._meta.fields if f.name != "postback_url"])
        webhook.clean()
    except ValidationError as exc:
        raise PostbackInvalid({"postback_url": exc.message_dict.get("postback_url", exc.messages)}) from None
    issued = None
    if webhook.postback_url and not webhook.postback_secret:
        webhook.postback_secret = issued = generate_signing_secret()
    webhook.save(update_fields=["postback_url", "postback_secret", "updated_at"])
    return issued
