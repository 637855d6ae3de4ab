"""A webhook's field and value mapping rows, compiled onto the webhook for its posts to read."""
from django.db import transaction

from providers.mapping import mapping_compile
from providers.models import WebhookConfig, WebhookFieldMapping, WebhookValueMapping


@transaction.atomic
def webhook_mapping_refresh(*, webhook: WebhookConfig) -> dict:
    """Compile the webhook's mapping rows into `payload_mapping` (call after the rows change: the
    admin's inlines do). Returns the compiled mapping."""
    compiled = mapping_compile(
        WebhookFieldMapping.objects.filter(webhook=webhook).values_list("source_field", "field"),
        WebhookValueMapping.objects.filter(webhook=webhook).values_list("field", "source_value", "value"),
    )
    WebhookConfig.objects.filter(pk=webhook.pk).update(payload_mapping=compiled)
    webhook.payload_mapping = compiled
    return compiled
