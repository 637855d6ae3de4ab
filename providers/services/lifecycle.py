"""A webhook config's lifecycle. A webhook id is never reused and its leads/analytics outlive it, so
"delete" is a soft delete: inactive at once, restorable for WEBHOOK_RESTORE_WINDOW_HOURS, then
finalised for good."""
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from leadhub.actors import SYSTEM
from leadhub.errors import ServiceConflict, ServiceRefusal
from providers.models import WebhookConfig, WebhookConfigEvent



class WebhookLifecycleRefused(ServiceRefusal):
    """A delete without a reason, named under the field at fault."""

    code = "validation"

    def __init__(self, field, message):
        super().__init__(message, errors={field: [message]})


class WebhookStateConflict(WebhookLifecycleRefused, ServiceConflict):
    """A delete or restore the webhook's state does not allow (already deleted, not deleted, its
    restore window closed)."""

    code = "webhook_state"


def webhook_restore_deadline(webhook):
    return webhook.deleted_at + timedelta(hours=settings.WEBHOOK_RESTORE_WINDOW_HOURS)


@transaction.atomic
def webhook_soft_delete(*, webhook, reason, by):
    if not reason or not reason.strip():
        raise WebhookLifecycleRefused("reason", "A reason is required to delete a webhook.")
    webhook = WebhookConfig.objects.select_for_update().get(pk=webhook.pk)
    if webhook.deleted_at:
        raise WebhookStateConflict("webhook_id", f"Webhook {webhook.webhook_id} is already deleted.")
    webhook.is_active = False
    webhook.deleted_at = timezone.now()
    webhook.deleted_reason = reason.strip()
    webhook.deleted_by = by
    webhook.save(update_fields=["is_active", "deleted_at", "deleted_reason", "deleted_by", "updated_at"])
    WebhookConfigEvent.objects.create(
        webhook_id=webhook.webhook_id, event_type=WebhookConfigEvent.DELETED, reason=webhook.deleted_reason, created_by=by
    )
    return webhook


@transaction.atomic
def webhook_restore(*, webhook, by):
    webhook = WebhookConfig.objects.select_for_update().get(pk=webhook.pk)
    if not webhook.deleted_at:
        raise WebhookStateConflict("webhook_id", f"Webhook {webhook.webhook_id} is not deleted.")
    if webhook.deletion_finalized_at or timezone.now() > webhook_restore_deadline(webhook):
        raise WebhookStateConflict("webhook_id", f"The restore window of {webhook.webhook_id} has closed.")
    webhook.is_active = True
    webhook.deleted_at = None
    webhook.deleted_reason = ""
    webhook.deleted_by = ""
    webhook.save(update_fields=["is_active", "deleted_at", "deleted_reason", "deleted_by", "updated_at"])
    WebhookConfigEvent.objects.create(
        webhook_id=webhook.webhook_id, event_type=WebhookConfigEvent.RESTORED, created_by=by
    )
    return webhook


def webhook_finalize_deletions(*, now=None):
    """Close for good every deletion whose restore window has passed; returns how many."""
    now = now or timezone.now()
    cutoff = now - timedelta(hours=settings.WEBHOOK_RESTORE_WINDOW_HOURS)
    finalized = 0
    due = WebhookConfig.objects.filter(deleted_at__lte=cutoff, deletion_finalized_at__isnull=True)
    for webhook_pk in due.values_list("pk", flat=True):
        with transaction.atomic():
            webhook = WebhookConfig.objects.select_for_update().get(pk=webhook_pk)
            if webhook.deletion_finalized_at or not webhook.deleted_at:
                continue
            webhook.secret_key = ""
            webhook.deletion_finalized_at = now
            webhook.save(update_fields=["secret_key", "deletion_finalized_at", "updated_at"])
            WebhookConfigEvent.objects.create(
                webhook_id=webhook.webhook_id, event_type=WebhookConfigEvent.FINALIZED, created_by=SYSTEM
            )
            finalized += 1
    return finalized
