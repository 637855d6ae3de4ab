"""Ops admin for the outbox and forwarding rules: pages render, actions go through the services."""
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from leadhub.testing import (
    WebhookReceiver,
    admin_url,
    assert_admin_pages_render,
    assert_admin_read_only,
    make_webhook,
    make_workspace,
)
from workspaces.delivery import outbox_deliver, outbox_emit
from workspaces.models import DeliveryStatus, EventType, LeadForwardingRule, OutboundEvent, Workspace

pytestmark = pytest.mark.django_db


def test_outbox_pages_render_read_only_and_send_again_requeues(admin_client):
    with WebhookReceiver([400]) as receiver:
        workspace = make_workspace(outbound_webhook_url=receiver.url, webhook_active=True)
        event = outbox_deliver(
            event_id=outbox_emit(workspace=workspace, event_type=EventType.LEAD_ASSIGNED, data={"lead_id": 3}).pk
        )
    assert_admin_pages_render(admin_client, event)
    assert "400" in admin_client.get(admin_url(event, "change", event.pk)).content.decode()  # the attempt log
    assert_admin_read_only(admin_client, event)

    response = admin_client.post(
        admin_url(event, "changelist"), {"action": "send_again", "_selected_action": [str(event.pk)]}, follow=True
    )
    assert "1 event(s) queued" in response.content.decode()
    assert OutboundEvent.objects.get(pk=event.pk).status == DeliveryStatus.PENDING


def test_workspace_actions_rotate_secret_once_and_show_the_switch_off_reason(admin_client):
    workspace = make_workspace(
        outbound_webhook_url="https://partner.example/hook",
        webhook_active=False,
        webhook_disabled_reason="Switched off automatically after 20 consecutive failed events",
    )
    page = admin_client.get(admin_url(workspace, "change", workspace.pk)).content.decode()
    assert "Switched off automatically" in page
    old_secret = workspace.webhook_secret
    assert old_secret not in page

    response = admin_client.post(
        admin_url(workspace, "changelist"),
        {"action": "rotate_signing_secret", "_selected_action": [workspace.pk], "post": "yes", "grace_hours": "1",
         "confirm": "on"},
        follow=True,
    )
    new_secret = Workspace.objects.get(pk=workspace.pk).webhook_secret
    assert new_secret != old_secret and new_secret in response.content.decode()

    response = admin_client.post(
        admin_url(workspace, "changelist"),
        {"action": "redeliver_failed_events", "_selected_action": [workspace.pk]},
        follow=True,
    )
    assert "turn it on before sending events again" in response.content.decode()


def test_forwarding_rule_admin_loads_zips_from_csv_and_shows_counts(admin_client):
    webhook = make_webhook()
    csv_file = SimpleUploadedFile("zips.csv", b"zip\n90210\n90300-90399\n941*\n", content_type="text/csv")
    response = admin_client.post(
        admin_url(LeadForwardingRule, "add"),
        {
            "webhook_id": webhook.webhook_id,
            "name": "West coast partner",
            "priority": 1,
            "product_types": "[]",
            "zip_codes": "[]",
            "states": '["CA"]',
            "target_url": "https://partner.example/leads",
            "is_active": "on",
            "zip_csv": csv_file,
            "zip_csv_mode": "replace",
        },
        follow=True,
    )
    assert response.status_code == 200
    rule = LeadForwardingRule.objects.get(webhook_id=webhook.webhook_id)
    assert rule.zip_codes == ["90210", "90300-90399", "941*"]
    assert rule.signing_secret in response.content.decode()  # shown once, on creation
    assert_admin_pages_render(admin_client, rule)
    assert "failed_count" in admin_client.get(admin_url(rule, "changelist")).content.decode()

    bad = SimpleUploadedFile("zips.csv", b"zip\n9021\n", content_type="text/csv")
    response = admin_client.post(
        admin_url(rule, "change", rule.pk),
        {
            "webhook_id": webhook.webhook_id, "priority": 1, "product_types": "[]", "zip_codes": "[]", "states": "[]",
            "target_url": "https://partner.example/leads", "zip_csv": bad, "zip_csv_mode": "append",
        },
    )
    assert response.status_code == 200 and "row 2" in response.content.decode()  # form error, nothing saved
    rule.refresh_from_db()
    assert rule.zip_codes == ["90210", "90300-90399", "941*"]


def test_a_workspace_added_in_the_admin_gets_its_key_and_secret_shown_once(admin_client):
    from leadhub.keys import key_digest

    response = admin_client.post(
        admin_url(Workspace, "add"),
        {"id": "ws-added", "name": "Added", "permissions": ["leads:read"], "is_active": "on", "time_zone": "UTC",
        "billing_mode": "invoiced", "credit_limit": "0",
         "outbound_webhook_url": "", "routing_rules-TOTAL_FORMS": "0",
         "routing_rules-INITIAL_FORMS": "0"},
    )

    workspace = Workspace.objects.get(pk="ws-added")
    page = response.content.decode()
    (_, shown_key), (_, shown_secret) = response.context["issued"]
    assert workspace.api_key == key_digest(shown_key) and shown_key in page
    assert workspace.webhook_secret == shown_secret and shown_secret in page
    assert workspace.webhook_secret not in admin_client.get(admin_url(workspace, "change", workspace.pk)).content.decode()
