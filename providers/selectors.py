"""Reads for the provider side: the lookups every webhook post makes, and the rejected log."""
from providers.models import LeadSourceProvider, RejectedSubmission, WebhookConfig, WebhookFieldMapping, WebhookValueMapping


def webhook_get(*, webhook_id: str) -> WebhookConfig | None:
    """Any webhook, active or not: callers decide, so they can say why one is unusable."""
    if "\x00" in webhook_id:  # from a URL's %00: no such id, and PostgreSQL cannot even compare it
        return None
    return WebhookConfig.objects.filter(webhook_id=webhook_id).first()


def webhook_is_open(webhook: WebhookConfig | None) -> bool:
    return webhook is not None and webhook.is_active and webhook.deleted_at is None


def provider_get(*, provider_id: str) -> LeadSourceProvider | None:
    if "\x00" in provider_id:
        return None
    return LeadSourceProvider.objects.filter(provider_id=provider_id).first()


def rejected_submissions_for_phone(*, phone: str):
    return RejectedSubmission.objects.filter(phone_normalized=phone)


def webhook_mapping_rows(*, webhook: WebhookConfig) -> dict:
    """A webhook's field and value mapping rows, as the provider's quick start shows them."""
    return {
        "fields": list(WebhookFieldMapping.objects.filter(webhook=webhook).values_list("source_field", "field")),
        "values": list(WebhookValueMapping.objects.filter(webhook=webhook).values_list("field", "source_value", "value")),
    }
