"""Outbound events on the partner API: a workspace only ever sees or re-sends its own."""
from leadhub.testing.api import IsolationSuite
from workspaces.models import DeliveryStatus, EventType, OutboundEvent


class TestOutboundEventIsolation(IsolationSuite):
    url_names = (
        "partner-workspace-events",
        "partner-workspace-event-detail",
        "partner-workspace-webhook-redeliver",
        "partner-workspace-webhook-secret",
    )
    list_url = "/api/v1/workspace/events/"
    detail_url = "/api/v1/workspace/events/{pk}/"
    filter_params = (
        lambda event: {"event_type": event.event_type},
        lambda event: {"status": event.status},
    )

    def make_object(self, workspace):
        return OutboundEvent.objects.create(
            workspace=workspace,
            event_type=EventType.LEAD_ASSIGNED,
            target_url="https://partner.example/hook",
            data={"lead_id": 1},
            status=DeliveryStatus.FAILED,
        )

    def test_redeliver_of_another_workspaces_event_is_404(self, tenants):
        workspace_a, client_a, workspace_b, client_b = tenants
        workspace_b.outbound_webhook_url, workspace_b.webhook_active = "https://b.example/hook", True
        workspace_b.save()
        theirs = self.make_object(workspace_a)
        response = client_b.post("/api/v1/workspace/webhook/redeliver/", {"event_id": str(theirs.pk)}, format="json")
        assert response.status_code == 404
        # "All failed" of B never reaches A's events either.
        assert client_b.post("/api/v1/workspace/webhook/redeliver/", {}, format="json").json() == {"queued": 0}
        assert OutboundEvent.objects.get(pk=theirs.pk).status == DeliveryStatus.FAILED

    def test_secret_rotation_changes_only_the_callers_secret(self, tenants):
        workspace_a, client_a, workspace_b, client_b = tenants
        before = type(workspace_a).objects.get(pk=workspace_a.pk).webhook_secret
        response = client_b.post(f"/api/v1/workspace/webhook/secret/?workspace={workspace_a.pk}")
        assert response.status_code == 200
        assert type(workspace_a).objects.get(pk=workspace_a.pk).webhook_secret == before
        assert type(workspace_b).objects.get(pk=workspace_b.pk).webhook_secret == response.json()["signing_secret"]


def test_event_families_follow_the_keys_read_scopes(db):
    from leadhub.testing.api import result_ids, workspace_with_key

    families = {"leads:read": EventType.LEAD_ASSIGNED, "appointments:read": EventType.APPOINTMENT_CREATED,
                "conversions:read": EventType.CONVERSION_CREATED}
    for scope, shown in families.items():
        workspace, client = workspace_with_key(scopes=[scope])
        events = {
            event_type: OutboundEvent.objects.create(workspace=workspace, event_type=event_type,
                                                     target_url="https://partner.example/hook", data={})
            for event_type in families.values()
        }
        assert result_ids(client.get("/api/v1/workspace/events/")) == {str(events[shown].pk)}, scope
        for event_type, event in events.items():
            expected = 200 if event_type == shown else 404
            assert client.get(f"/api/v1/workspace/events/{event.pk}/").status_code == expected, (scope, event_type)
