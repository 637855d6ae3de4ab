"""Deleting a webhook config is soft, restorable for a window, then final; its data and audit stay."""
from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone

from leadhub.testing import make_lead, make_webhook
from leads.models import Lead
from providers.models import WebhookConfig, WebhookConfigEvent
from providers.services.lifecycle import (
    WebhookLifecycleRefused,
    WebhookStateConflict,
    webhook_finalize_deletions,
    webhook_restore,
    webhook_soft_delete,
)
from providers.tasks import finalize_webhook_deletions

pytestmark = pytest.mark.django_db


def test_soft_delete_deactivates_at_once_and_keeps_leads():
    webhook = make_webhook(secret_key="s3cret")
    lead = make_lead(contact=None, webhook_id=webhook.webhook_id)

    deleted = webhook_soft_delete(webhook=webhook, reason="provider contract ended", by="ops")

    assert (deleted.is_active, deleted.deleted_by, deleted.deleted_reason) == (False, "ops", "provider contract ended")
    assert deleted.deleted_at is not None
    assert Lead.objects.filter(pk=lead.pk).exists()
    assert WebhookConfigEvent.objects.filter(webhook_id=webhook.webhook_id, event_type="deleted").count() == 1


def test_soft_delete_needs_a_reason():
    webhook = make_webhook()
    with pytest.raises(WebhookLifecycleRefused) as excinfo:
        webhook_soft_delete(webhook=webhook, reason="  ", by="ops")
    assert "reason" in excinfo.value.errors
    webhook.refresh_from_db()
    assert webhook.is_active and webhook.deleted_at is None


def test_restore_within_the_window_reactivates():
    webhook = webhook_soft_delete(webhook=make_webhook(), reason="mistake", by="ops")

    restored = webhook_restore(webhook=webhook, by="ops2")

    assert restored.is_active and restored.deleted_at is None
    assert list(WebhookConfigEvent.objects.filter(webhook_id=webhook.webhook_id)
                .order_by("id").values_list("event_type", flat=True)) == ["deleted", "restored"]


def test_after_the_window_the_deletion_is_finalised_and_cannot_be_restored(settings):
    settings.WEBHOOK_RESTORE_WINDOW_HOURS = 24
    webhook = webhook_soft_delete(webhook=make_webhook(secret_key="s3cret"), reason="gone", by="ops")
    young = webhook_soft_delete(webhook=make_webhook(), reason="gone too", by="ops")
    WebhookConfig.objects.filter(pk=webhook.pk).update(deleted_at=timezone.now() - timedelta(hours=25))

    assert finalize_webhook_deletions.apply().get() == 1
    assert webhook_finalize_deletions() == 0, "finalising is idempotent"

    webhook.refresh_from_db()
    young.refresh_from_db()
    assert webhook.secret_key == "" and webhook.deletion_finalized_at is not None and not webhook.is_active
    assert young.deletion_finalized_at is None
    with pytest.raises(WebhookStateConflict, match="restore window"):
        webhook_restore(webhook=webhook, by="ops")
    finalized = WebhookConfigEvent.objects.get(webhook_id=webhook.webhook_id, event_type="finalized")
    assert finalized.created_by == "system"


def test_a_deleted_webhook_id_is_never_reused():
    from django.db import IntegrityError, transaction

    webhook = webhook_soft_delete(webhook=make_webhook("wh-once"), reason="gone", by="ops")
    with pytest.raises(IntegrityError), transaction.atomic():
        WebhookConfig.objects.create(webhook_id=webhook.webhook_id, name="again", lead_type="solar")


def test_deleted_webhook_refuses_posts_with_404(client):
    webhook = webhook_soft_delete(webhook=make_webhook(), reason="gone", by="ops")
    response = client.post(f"/api/v1/webhooks/{webhook.webhook_id}/leads/", {"first_name": "A"},
                           content_type="application/json", HTTP_X_PROVIDER_ID="nobody")
    assert response.status_code == 404


@pytest.fixture
def ops_client(client):
    client.force_login(get_user_model().objects.create_superuser("ops", "ops@example.com", "pw-not-used-1"))
    return client


def test_admin_soft_delete_asks_for_a_reason_then_restore(ops_client):
    webhook = make_webhook()
    url = "/admin/providers/webhookconfig/"
    selection = {"action": "soft_delete", "_selected_action": [webhook.pk]}

    confirm = ops_client.post(url, selection)
    assert confirm.status_code == 200 and b"Reason (required)" in confirm.content
    ops_client.post(url, {**selection, "apply": "1", "reason": "contract ended"})
    webhook.refresh_from_db()
    assert webhook.deleted_at is not None and webhook.deleted_by == "staff:ops"

    page = ops_client.get(url)
    assert b"Restorable until" in page.content
    ops_client.post(url, {"action": "restore", "_selected_action": [webhook.pk]})
    webhook.refresh_from_db()
    assert webhook.is_active and webhook.deleted_at is None


def test_admin_names_a_refused_delete_or_restore_in_the_services_words(ops_client):
    live, gone = make_webhook(), webhook_soft_delete(webhook=make_webhook(), reason="gone", by="ops")
    url = "/admin/providers/webhookconfig/"

    restored = ops_client.post(url, {"action": "restore", "_selected_action": [live.pk]}, follow=True)
    deleted = ops_client.post(url, {"action": "soft_delete", "_selected_action": [gone.pk], "apply": "1",
                                    "reason": "again"}, follow=True)

    assert [(m.level_tag, str(m)) for m in restored.context["messages"]] == [
        ("error", f"Webhook {live.webhook_id} is not deleted.")]
    assert [(m.level_tag, str(m)) for m in deleted.context["messages"]] == [
        ("error", f"Webhook {gone.webhook_id} is already deleted.")]


def test_admin_offers_no_hard_delete(ops_client):
    webhook = make_webhook()
    assert ops_client.get(f"/admin/providers/webhookconfig/{webhook.pk}/delete/").status_code == 403
    assert b"delete_selected" not in ops_client.get("/admin/providers/webhookconfig/").content
