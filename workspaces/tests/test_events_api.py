"""Partner API for outbound webhooks: events, sending again, subscriptions, the signing secret."""
import pytest

from leadhub.api.testing import workspace_with_key
from leadhub.testing import WebhookReceiver, assert_error
from workspaces.delivery import outbox_deliver, outbox_emit
from workspaces.models import DeliveryStatus, EventType, OutboundEvent

pytestmark = pytest.mark.django_db


def test_events_list_pages_and_filters_with_delivery_state_and_attempts():
    with WebhookReceiver([(400, "no such lead", 0)]) as receiver:
        workspace, client = workspace_with_key(outbound_webhook_url=receiver.url, webhook_active=True)
        events = [
            outbox_emit(workspace=workspace, event_type=EventType.LEAD_ASSIGNED, data={"n": n}) for n in range(3)
        ]
        outbox_deliver(event_id=events[0].pk)

    page = client.get("/api/v1/workspace/events/", {"page_size": 2})
    assert page.status_code == 200
    body = page.json()
    assert [row["id"] for row in body["results"]] == [str(events[2].pk), str(events[1].pk)]
    rest = client.get(body["next"]).json()
    assert [row["id"] for row in rest["results"]] == [str(events[0].pk)]

    failed = client.get("/api/v1/workspace/events/", {"status": "failed"}).json()["results"]
    assert [row["id"] for row in failed] == [str(events[0].pk)]
    assert failed[0]["type"] == "lead.assigned" and failed[0]["last_status_code"] == 400

    detail = client.get(f"/api/v1/workspace/events/{events[0].pk}/").json()
    assert detail["data"] == {"n": 0}
    assert [(a["outcome"], a["status_code"], a["response_body"]) for a in detail["attempt_log"]] == [
        ("failed", 400, "no such lead")
    ]
    assert_error(client.get("/api/v1/workspace/events/", {"status": "lost"}), 400, field="status")


def test_redeliver_one_or_all_failed_events_and_refusals_name_the_field():
    workspace, client = workspace_with_key(outbound_webhook_url="https://partner.example/hook", webhook_active=True)
    failed = [
        OutboundEvent.objects.create(
            workspace=workspace, event_type=EventType.LEAD_ASSIGNED, target_url="https://x.example", status=status
        )
        for status in (DeliveryStatus.FAILED, DeliveryStatus.SKIPPED, DeliveryStatus.DELIVERED)
    ]
    one = client.post("/api/v1/workspace/webhook/redeliver/", {"event_id": str(failed[2].pk)}, format="json")
    assert (one.status_code, one.json()) == (202, {"queued": 1})
    again = client.post("/api/v1/workspace/webhook/redeliver/", {"event_id": str(failed[2].pk)}, format="json")
    assert_error(again, 422, field="event_id")
    assert client.post("/api/v1/workspace/webhook/redeliver/", {}, format="json").json() == {"queued": 2}
    assert set(OutboundEvent.objects.values_list("status", flat=True)) == {DeliveryStatus.PENDING}

    bad = client.post("/api/v1/workspace/webhook/redeliver/", {"event_id": "not-a-uuid"}, format="json")
    assert_error(bad, 422, field="event_id")
    # A misspelled field is not "every failed event".
    misspelled = client.post("/api/v1/workspace/webhook/redeliver/", {"event_ids": [str(failed[0].pk)]}, format="json")
    assert_error(misspelled, 400, code="invalid_request", field="event_ids")

    client.post("/api/v1/workspace/webhook/", {"webhook_active": False}, format="json")
    off = client.post("/api/v1/workspace/webhook/redeliver/", {}, format="json")
    assert_error(off, 422, field="webhook_active")


def test_read_only_key_cannot_redeliver_or_rotate():
    workspace, client = workspace_with_key(scopes=["leads:read"])
    assert client.post("/api/v1/workspace/webhook/redeliver/", {}, format="json").status_code == 403
    assert client.post("/api/v1/workspace/webhook/secret/").status_code == 403
    assert client.get("/api/v1/workspace/events/").status_code == 200


def test_subscriptions_and_secret_rotation():
    workspace, client = workspace_with_key()
    response = client.post(
        "/api/v1/workspace/webhook/",
        {"outbound_webhook_url": "https://partner.example/hook", "webhook_active": True,
         "webhook_events": ["conversion.created"]},
        format="json",
    )
    assert response.status_code == 200 and response.json()["webhook_events"] == ["conversion.created"]
    assert outbox_emit(workspace=workspace, event_type=EventType.LEAD_ASSIGNED, data={}) is None
    assert outbox_emit(workspace=workspace, event_type=EventType.CONVERSION_CREATED, data={}) is not None
    bad = client.post("/api/v1/workspace/webhook/", {"webhook_events": ["lead.exploded"]}, format="json")
    assert_error(bad, 422, field="webhook_events.0")

    old_secret = workspace.webhook_secret
    rotated = client.post("/api/v1/workspace/webhook/secret/").json()
    secret = rotated["signing_secret"]
    workspace.refresh_from_db()
    assert secret.startswith("whsec_") and workspace.webhook_secret == secret
    assert workspace.webhook_secret_previous == old_secret  # still signs, next to the new one, for 24 hours
    assert rotated["previous_secret_valid_until"] == workspace.webhook_secret_previous_expires_at.isoformat().replace(
        "+00:00", "Z")
    assert secret not in client.get("/api/v1/workspace/").content.decode()  # never shown again
