"""Who may post to a webhook: the webhook must be open, the provider known, keyed and allowed.

Plain functions raising `Refusal`, called in the order the endpoint contract fixes (404 before
401/403 before the signature), so every webhook view refuses the same way.
"""
import hashlib
from django.utils import timezone

from leadhub.api.exceptions import Refusal
from leadhub.keys import key_accepted
from providers import selectors
from providers.models import LeadSourceProvider, WebhookConfig
from providers.signatures import SIGNATURE_HEADER, SignatureError, verify

PROVIDER_HEADER = "X-Provider-Id"
API_KEY_HEADER = "X-Api-Key"

_AUTH_FAILED = "Unknown or inactive provider, or wrong API key."
_KEY_REQUIRED = (
    f"Provider '{{provider_id}}' has no API key, and reading the provider API needs one: ask leadhub "
    f"operations to issue a key for it (the provider's admin page, or `manage.py provider_key {{provider_id}}`), "
    f"then send it as {API_KEY_HEADER} with {PROVIDER_HEADER}."
)


def webhook_for_post(*, webhook_id: str) -> WebhookConfig:
    webhook = selectors.webhook_get(webhook_id=webhook_id)
    if selectors.webhook_is_open(webhook):
        return webhook
    why = "does not exist" if webhook is None else ("is deleted" if webhook.deleted_at else "is inactive")
    raise Refusal(
        404,
        "webhook_not_found",
        f"No active webhook '{webhook_id}'.",
        stored_reason=f"Webhook '{webhook_id}' {why}.",
    )


def provider_authenticate(*, headers, webhook: WebhookConfig) -> LeadSourceProvider:
    """The posting provider, or a Refusal: 401 for identity, 403 for a webhook it may not use.

    Unknown provider, inactive provider, missing and wrong key get one public answer (no probing
    which provider ids exist); the stored rejection keeps the precise cause for ops.
    """
    provider = provider_identify(headers=headers)
    if provider.allowed_webhooks is not None and webhook.webhook_id not in provider.allowed_webhooks:
        raise Refusal(
            403,
            "webhook_not_allowed",
            f"Provider '{provider.provider_id}' may not post to webhook '{webhook.webhook_id}'.",
        )
    return provider


def provider_identify(*, headers, key_required: bool = False) -> LeadSourceProvider:
    """The provider the `X-Provider-Id` / `X-Api-Key` headers prove, or a Refusal (401). A provider
    without a key is taken on its id alone unless `key_required` (the provider read API): then it
    is told how to get one. The one key check of every provider-facing door."""
    provider_id = headers.get(PROVIDER_HEADER, "").strip()
    if not provider_id:
        raise Refusal(401, "provider_id_missing", f"The {PROVIDER_HEADER} header is required.")
    provider = selectors.provider_get(provider_id=provider_id)
    if provider is None:
        raise Refusal(401, "provider_auth_failed", _AUTH_FAILED, stored_code="provider_unknown",
                      stored_reason=f"No provider '{provider_id}'.")
    if not provider.is_active:
        raise Refusal(401, "provider_auth_failed", _AUTH_FAILED, stored_code="provider_inactive",
                      stored_reason=f"Provider '{provider_id}' is inactive.")
    if not provider.api_key:
        if key_required:
            raise Refusal(401, "provider_key_required", _KEY_REQUIRED.format(provider_id=provider_id))
        return provider
    raw_key = headers.get(API_KEY_HEADER, "")
    if not raw_key:
        raise Refusal(401, "provider_auth_failed", _AUTH_FAILED, stored_code="api_key_missing",
                      stored_reason=f"No {API_KEY_HEADER} header for provider '{provider_id}', which has a key.")
    if not key_accepted(provider, raw_key, timezone.now()):
        raise Refusal(401, "provider_auth_failed", _AUTH_FAILED, stored_code="api_key_invalid",
                      stored_reason=f"Wrong API key for provider '{provider_id}'.")
    return provider


def signature_check(*, headers, webhook: WebhookConfig, body: bytes) -> str | None:
    """Webhooks with a secret only take bodies signed with it (see providers.signatures).
    Returns what identifies this signed post (webhook, timestamp, body) for the replay check,
    or None for a webhook without a secret."""
    if not webhook.secret_key:
        return None
    try:
        timestamp = verify(webhook.secret_key, headers.get(SIGNATURE_HEADER), body)
    except SignatureError as exc:
        raise Refusal(401, exc.code, exc.reason, errors={SIGNATURE_HEADER: [exc.reason]}) from None
    digest = hashlib.sha256(f"{webhook.webhook_id}\n{timestamp}\n".encode())
    digest.update(body)
    return digest.hexdigest()
